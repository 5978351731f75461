package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// The feed's interface-level cases (the writer and another store read the
// same feed; writers in turns) are storetest's EventFeedSameFromEveryStore
// and EventFeedAcrossWriters. These check SQLite's tail in memory.

// tailEvents are events whose stored form differs from what was put: a
// mapped IPv4 address, sub-millisecond times, columns the feed does not
// read, no user at all.
func tailEvents(from, n int, at time.Time) []model.Event {
	out := make([]model.Event, n)
	for i := range out {
		k := from + i
		e := model.Event{Vendor: "onelogin", ID: fmt.Sprint("ev", k), Time: at.Add(time.Duration(k)*time.Second + 123456),
			Type: 6, TypeName: "USER_FAILED_ONELOGIN_LOGIN", UserID: fmt.Sprint(k % 3), UserName: "Zoe", UserKey: "zoe@example.com",
			IP: fmt.Sprintf("::ffff:198.51.100.%d", k%250), Score: model.NoScore, App: "Slack", Reasons: "new device",
			Fields: map[string]string{"k": "v"}}
		switch k % 4 {
		case 1:
			e.UserID, e.UserName, e.UserKey = "", "", ""
		case 2:
			e.Score, e.Level, e.IP = 91, model.LevelCritical, "2001:db8::1"
		}
		out[i] = e
	}
	return out
}

// The tail holds what this store inserted, a duplicate taking no number,
// and serves what the table would.
func TestEventFeedTailHoldsTheBatches(t *testing.T) {
	s, path := openFile(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put(t, s, tailEvents(0, 7, at))
	put(t, s, append(tailEvents(5, 6, at), tailEvents(20, 1, at)...)) // ev5, ev6 are stored already
	put(t, s, tailEvents(30, 9, at))
	got := s.feedTail.Read(0, 100)
	if len(got) != 21 {
		t.Fatalf("the tail holds %d events, want all 21", len(got))
	}
	other, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	want, err := other.EventFeed(ctx, 0, 100) // from the table: other's tail is empty
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("tail %+v\ntable %+v (%v)", got, want, err)
	}
}

// A gap in the tail (a batch it never saw: another writer, a reset) sends
// reads before the gap to the table.
func TestEventFeedTailGap(t *testing.T) {
	s, path := openFile(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put(t, s, tailEvents(0, 4, at)) // feed 1–4
	other, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	put(t, other, tailEvents(10, 3, at)) // feed 5–7, not in s's tail
	other.Close()
	put(t, s, tailEvents(20, 2, at)) // feed 8–9: the tail starts over
	if got := s.feedTail.Read(4, 100); got != nil {
		t.Fatalf("the tail serves across its gap: %+v", got)
	}
	// Out of order (a writer that committed first appends last): the
	// tail starts over again rather than hold a run with a hole.
	s.feedTail.Add(s.feedTail.Mark(), []FeedEvent{{Feed: 3}})
	if got := s.feedTail.Read(8, 10); got != nil {
		t.Fatalf("the tail serves after an out-of-order batch: %+v", got)
	}
	if evs, _ := s.EventFeed(ctx, 7, 10); len(evs) != 2 || evs[0].ID != "ev20" {
		t.Fatalf("after 7: %+v", evs)
	}
}

// The tail is bounded, keeps the newest events, and forgets pruned ones.
func TestEventFeedTailBoundAndPrune(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < maxFeedTail+3000; i += 1000 {
		put(t, s, tailEvents(i, 1000, at))
	}
	s.feedTail.mu.Lock()
	n, last := len(s.feedTail.evs), s.feedTail.evs[len(s.feedTail.evs)-1].Feed
	s.feedTail.mu.Unlock()
	if n > maxFeedTail || last != maxFeedTail+3000 {
		t.Fatalf("tail of %d ending at %d", n, last)
	}
	if evs, _ := s.EventFeed(ctx, 0, 5); len(evs) != 5 || evs[0].Feed != 1 {
		t.Fatalf("before the tail: %+v", evs)
	}
	if _, err := s.Prune(ctx, at.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.EventFeed(ctx, last-10, 10); err != nil || len(evs) != 0 {
		t.Fatalf("pruned events still in the feed: %d, %v", len(evs), err)
	}
}

// A batch the tail cannot vouch for is not kept: one marked before a
// Reset (a prune that ran between its commit and Add), one not numbered
// consecutively, one without numbers.
func TestFeedTailKeepsOnlyWhatItCanVouchFor(t *testing.T) {
	var tail FeedTail
	run := func(from, n int64) []FeedEvent {
		out := make([]FeedEvent, n)
		for i := range out {
			out[i].Feed = from + int64(i)
		}
		return out
	}
	tail.Add(tail.Mark(), run(1, 3))
	if got := tail.Read(0, 10); len(got) != 3 {
		t.Fatalf("read %d of 3", len(got))
	}
	mark := tail.Mark()
	tail.Reset()
	tail.Add(mark, run(4, 2))
	if got := tail.Read(3, 10); got != nil {
		t.Fatalf("a batch marked before a reset was kept: %+v", got)
	}
	tail.Add(tail.Mark(), run(6, 2))
	holey := append(run(8, 2), run(11, 1)...)
	tail.Add(tail.Mark(), holey)
	if got := tail.Read(7, 10); got != nil {
		t.Fatalf("a batch with a hole was kept: %+v", got)
	}
	if got := tail.Read(5, 10); got != nil {
		t.Fatalf("the tail kept its run past a batch it refused: %+v", got)
	}
	tail.Add(tail.Mark(), make([]FeedEvent, 2))
	if got := tail.Read(-1, 10); got != nil {
		t.Fatalf("events without numbers were kept: %+v", got)
	}
}
