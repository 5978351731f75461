package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/risktop/risktop/model"
)

// A batch of new alerts with a text that is not valid UTF-8 goes in row
// by row (the one statement takes them as JSON, which would make the
// bytes U+FFFD): kept byte for byte, each returned as stored.
func TestPutAlertsOddBytesRowByRow(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	odd := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Key: "burst:192.0.2.0/24",
		Title: "Burst \xff from 192.0.2.0/24", Subject: "192.0.2.0/24\xfe", FirstSeen: fixtureNow, LastSeen: fixtureNow, Count: 1,
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	odd.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: "1"})
	odd.Evidence.AddAddress("192.0.2.7")
	odd.Evidence.AddPerson("zoe@example.com")
	plain := odd
	plain.Key, plain.Title, plain.Subject = "burst:198.51.100.0/24", "Burst from 198.51.100.0/24", "198.51.100.0/24"
	got, err := s.PutAlerts(ctx, fixtureNow, []model.Alert{odd, plain}, nil, nil)
	must(t, err)
	if len(got) != 2 || got[0].Title != odd.Title || got[0].Subject != odd.Subject {
		t.Fatalf("got %+v", got)
	}
	for _, g := range got {
		stored, err := s.Alert(ctx, g.ID)
		must(t, err)
		if !reflect.DeepEqual(stored, g) {
			t.Errorf("stored %+v\nreturned %+v", stored, g)
		}
	}
}
