package postgres

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store/pgtest"
)

// The feed's tail holds what this store inserted, a duplicate taking no
// number, as the table reads it back: so storetest's comparisons of the
// writer's feed with the table's test the tail, not a fallback.
func TestEventFeedTailHoldsTheBatches(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	open := func() *Store {
		s, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := open()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	batch := func(from, n int) []model.Event {
		out := make([]model.Event, n)
		for i := range out {
			k := from + i
			out[i] = model.Event{Vendor: "okta", ID: fmt.Sprint("ev", k), Time: at.Add(time.Duration(k)*time.Second + 123456),
				TypeName: "T\x00", UserName: "Zoe \xff", UserKey: "zoe@example.com", IP: "::ffff:198.51.100.7", Score: k, App: "Slack"}
			if k%2 == 1 {
				out[i].UserName, out[i].UserKey = "", ""
			}
		}
		return out
	}
	for _, b := range [][]model.Event{batch(0, 7), batch(5, 6), batch(30, 9)} {
		if _, err := s.PutEvents(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got := s.events.tail.Read(0, 100)
	if len(got) != 20 {
		t.Fatalf("the tail holds %d events, want all 20", len(got))
	}
	want, err := open().EventFeed(ctx, 0, 100) // from the table: its tail is empty
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("tail %+v\ntable %+v (%v)", got, want, err)
	}
}
