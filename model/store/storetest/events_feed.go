package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// The writer's feed (served from the events it just stored, when a store
// keeps them) reads what a store that never wrote reads from the table,
// after each of: duplicates skipped (stored before, or twice in a batch
// with other content), text a store cleans, another writer's batches in
// between, a batch of nothing new, prunes, and writes after them.
func testEventFeedWriterReadsTheTable(t *testing.T, open Opener) {
	f := open(t)
	s, other := f.Store, f.Second(t)
	table := f.Second(t) // never writes: it reads the table
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	same := func(step string) {
		t.Helper()
		head, err := table.FeedHead(ctx)
		must(t, err)
		for after := int64(0); after <= head; after++ {
			for _, limit := range []int{1, 3, 1000} {
				got, err := s.EventFeed(ctx, after, limit)
				must(t, err)
				want, err := table.EventFeed(ctx, after, limit)
				must(t, err)
				// The tail may end before the table (another writer's
				// numbers follow it): a shorter answer, never an empty one.
				if len(got) > len(want) || len(got) == 0 && len(want) > 0 || !reflect.DeepEqual(got, want[:len(got)]) {
					t.Fatalf("%s: after %d limit %d:\nwriter %+v\ntable  %+v", step, after, limit, got, want)
				}
			}
			if got, want := readFeed(t, s, after, 2), readFeed(t, table, after, 2); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: the feed after %d:\nwriter %+v\ntable  %+v", step, after, got, want)
			}
		}
	}
	put(t, s, tailEvents(0, 7, at)) // feed 1–7
	same("first batch")

	twice := tailEvents(20, 1, at)[0]
	twice.UserName, twice.IP, twice.Score = "Not Zoe", "203.0.113.99", 3
	odd := model.Event{Vendor: "okta", ID: "odd\x00id", Time: at.Add(time.Minute), UserName: "Zoe\x00 \xff",
		UserKey: "zoe@example.com", TypeName: "T\x00\xfe", IP: "203.0.113.9\x00", Score: 40}
	batch := append(tailEvents(5, 2, at), tailEvents(20, 1, at)...) // ev5, ev6 are stored already
	batch = append(batch, twice, odd)
	if n := put(t, s, batch); n != 2 {
		t.Fatalf("inserted %d of the second batch, want ev20 and the odd one", n)
	}
	same("duplicates and odd text") // feed 8–9

	put(t, other, tailEvents(40, 3, at)) // feed 10–12, not the writer's
	same("another writer's batch")
	put(t, s, tailEvents(50, 4, at)) // feed 13–16
	same("the writer again")
	if n := put(t, s, tailEvents(50, 4, at)); n != 0 {
		t.Fatalf("re-put inserted %d", n)
	}
	same("nothing new")
	put(t, other, tailEvents(60, 2, at)) // feed 17–18
	put(t, s, tailEvents(70, 2, at))     // feed 19–20
	put(t, other, tailEvents(80, 1, at)) // feed 21
	same("writers in turns")

	// ev0…ev9 go (at+0s…at+9s); the writer's latest batches are among them
	// and after them.
	put(t, s, tailEvents(3, 1, at)) // nothing new
	put(t, s, append(tailEvents(8, 1, at), tailEvents(90, 1, at)...))
	if st, err := s.Prune(ctx, at.Add(10*time.Second)); err != nil || st.Events == 0 {
		t.Fatalf("prune: %+v, %v", st, err)
	}
	same("after a prune")
	put(t, s, append(tailEvents(9, 1, at), tailEvents(100, 3, at)...)) // ev9 is before the cut
	same("a batch after the prune")
	if st, err := s.Prune(ctx, at.Add(10*time.Second)); err != nil || st.Events != 1 {
		t.Fatalf("second prune: %+v, %v", st, err)
	}
	same("after a prune of part of the writer's last batch")
}
