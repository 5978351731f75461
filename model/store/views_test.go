package store

import (
	"context"
	"testing"
)

// CountPage places every page of a walk where the walk found it, and
// counts what is newer than a mark, in either order.
func TestCountPagePlacesEveryPage(t *testing.T) {
	s, _ := filterFixture(t)
	ctx := context.Background()
	for _, f := range []EventFilter{{}, {MinScore: 40}, {Text: "type 5"}, {IP: "192.0.2.0/24"}} {
		for _, by := range []Sort{ByTime, ByScore} {
			all := walk(t, s, EventQuery{EventFilter: f, Sort: by, Limit: 500})
			q := EventQuery{EventFilter: f, Sort: by, Limit: 37}
			for at := 0; ; at += 37 {
				p, err := s.Events(ctx, q)
				must(t, err)
				if len(p.Events) == 0 {
					break
				}
				c, err := s.CountPage(ctx, CountQuery{EventFilter: f, Sort: by, First: p.First})
				must(t, err)
				if c.Total != len(all) || c.Before != at || c.Newer != 0 {
					t.Fatalf("%+v sort %d, page at %d: count %+v, want total %d before %d", f, by, at, c, len(all), at)
				}
				if !p.HasNext {
					break
				}
				q.After = p.LastKey
			}
			// Newer: those after a mark in time, whatever the page order.
			byTime := walk(t, s, EventQuery{EventFilter: f, Limit: 500})
			head, err := s.CountPage(ctx, CountQuery{EventFilter: f, Sort: by})
			must(t, err)
			if head.Head == nil || head.Head.Seq != mustKey(t, s, f).Seq {
				t.Fatalf("%+v: head %+v is not the newest event", f, head.Head)
			}
			mark := mustKeyAt(t, s, f, 10)
			c, err := s.CountPage(ctx, CountQuery{EventFilter: f, Sort: by, Since: &mark})
			must(t, err)
			if c.Newer != 10 || len(byTime) != c.Total {
				t.Fatalf("%+v sort %d: %d newer than the 11th newest, want 10", f, by, c.Newer)
			}
		}
	}
	none, err := s.CountPage(ctx, CountQuery{EventFilter: EventFilter{User: "nobody@example.com"}})
	if err != nil || none.Total != 0 || none.Head != nil {
		t.Fatalf("no match: %+v, %v", none, err)
	}
}

// mustKey is the key of the newest event matching f; mustKeyAt the i-th's.
func mustKey(t *testing.T, s *SQLite, f EventFilter) PageKey { return mustKeyAt(t, s, f, 0) }

func mustKeyAt(t *testing.T, s *SQLite, f EventFilter, i int) PageKey {
	t.Helper()
	p, err := s.Events(context.Background(), EventQuery{EventFilter: f, Limit: i + 1})
	must(t, err)
	if len(p.Events) <= i {
		t.Fatalf("fewer than %d events", i+1)
	}
	if i == 0 {
		return *p.First
	}
	return *p.LastKey
}
