package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// Alerts by last seen (the Alerts tab's order) page through every alert
// once, newest evidence first, ties by id.
func TestAlertsByLastSeenPages(t *testing.T) {
	s, err := Open(":memory:", Options{})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	var fs []model.Alert
	for i := 0; i < 25; i++ {
		at := t0.Add(-time.Duration((i*7)%10) * time.Minute) // ties, out of id order
		fs = append(fs, model.Alert{Rule: "score", Kind: model.KindHighScore, Severity: model.LevelHigh, Key: fmt.Sprint("k", i),
			Title: "t", Subject: "s", FirstSeen: at, LastSeen: at, Count: 1})
	}
	_, err = s.PutAlerts(ctx, t0, fs, nil, nil)
	must(t, err)
	var got []model.Alert
	q := AlertQuery{ByLastSeen: true, Limit: 4}
	for {
		page, err := s.Alerts(ctx, q)
		must(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		last := page[len(page)-1]
		q.BeforeID, q.BeforeLast = last.ID, last.LastSeen
	}
	if len(got) != 25 {
		t.Fatalf("%d alerts paged, want 25", len(got))
	}
	for i := 1; i < len(got); i++ {
		p, c := got[i-1], got[i]
		if c.LastSeen.After(p.LastSeen) || c.LastSeen.Equal(p.LastSeen) && c.ID > p.ID {
			t.Fatalf("out of order at %d: #%d %v after #%d %v", i, c.ID, c.LastSeen, p.ID, p.LastSeen)
		}
	}
}
