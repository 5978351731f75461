package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

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

// tableFeed reads the feed from the table, as a store without the tail
// (another process, or this one after a restart) does.
func tableFeed(t *testing.T, path string, after int64, limit int) []FeedEvent {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.EventFeed(context.Background(), after, limit)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// The tail serves what the table would: the same events, numbers and
// stored values, for every start and limit; a duplicate takes no number.
func TestEventFeedTailReadsAsTheTable(t *testing.T) {
	s, path := openFile(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	put(t, s, tailEvents(0, 7, at))
	put(t, s, append(tailEvents(5, 6, at), tailEvents(20, 1, at)...)) // ev5, ev6 are stored already
	put(t, s, tailEvents(30, 9, at))
	if got := s.feedTail.read(0, 100); len(got) != 21 {
		t.Fatalf("the tail holds %d events, want all 21", len(got))
	}
	for _, after := range []int64{0, 1, 6, 7, 12, 20, 21} {
		for _, limit := range []int{1, 5, 100} {
			got, err := s.EventFeed(ctx, after, limit)
			if err != nil {
				t.Fatal(err)
			}
			want := tableFeed(t, path, after, limit)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after %d limit %d:\ntail  %+v\ntable %+v", after, limit, got, want)
			}
		}
	}
}

// A gap in the tail (a batch it never saw: another writer, a reset) sends
// reads before the gap to the table; nothing is missed or repeated.
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
	if got := s.feedTail.read(4, 100); got != nil {
		t.Fatalf("the tail serves across its gap: %+v", got)
	}
	var seen []string
	for after := int64(0); ; {
		evs, err := s.EventFeed(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			seen = append(seen, fmt.Sprintf("%d:%s", e.Feed, e.ID))
			after = e.Feed
		}
	}
	want := "[1:ev0 2:ev1 3:ev2 4:ev3 5:ev10 6:ev11 7:ev12 8:ev20 9:ev21]"
	if fmt.Sprint(seen) != want {
		t.Fatalf("read %v\nwant %s", seen, want)
	}
	// Out of order (a writer that committed first appends last): the
	// tail starts over again rather than hold a run with a hole.
	s.feedTail.add([]FeedEvent{{Feed: 3}})
	if got := s.feedTail.read(8, 10); got != nil {
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
