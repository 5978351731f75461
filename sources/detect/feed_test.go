package detect

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/rules"
	"github.com/risktop/risktop/model/store"
)

// The engine reads a poll's events from the store's tail in memory when
// it can and from the table otherwise (a write it did not see, a
// restart): each event is evaluated exactly once either way, which the
// burst's failure count and the events evaluated show.
func TestFeedTailGapAndRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "risktop.db")
	open := func() *store.SQLite {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	next := 0
	failures := func(n int) []model.Event { // one burst from 198.51.100.0/24
		out := make([]model.Event, n)
		for i := range out {
			next++
			out[i] = model.Event{Vendor: "onelogin", ID: fmt.Sprint(next), Time: at.Add(time.Duration(next) * time.Second),
				TypeName: "USER_FAILED_ONELOGIN_LOGIN", IP: fmt.Sprintf("198.51.100.%d", next%200), UserKey: fmt.Sprintf("p%d@example.com", next%7),
				Score: model.NoScore}
		}
		return out
	}
	engine := func(st store.Store) *Engine {
		return New(Options{Store: st, Rules: rules.Defaults(), Now: func() time.Time { return at.Add(10 * time.Minute) }})
	}
	once := func(e *Engine, want int) {
		t.Helper()
		res, err := e.Once(ctx)
		if err != nil || res.Events != want {
			t.Fatalf("once: %d events evaluated (%v), want %d", res.Events, err, want)
		}
	}
	burst := func(st store.Store, want int) {
		t.Helper()
		live, err := st.LiveAlerts(ctx, []string{"burst:198.51.100.0/24"})
		if err != nil {
			t.Fatal(err)
		}
		a, ok := live["burst:198.51.100.0/24"]
		if !ok || a.Incident == nil || a.Incident.Failures != want {
			t.Fatalf("burst alert %+v, want %d failures", a.Incident, want)
		}
	}

	st := open()
	eng := engine(st)
	put := func(s store.Store, n int) {
		t.Helper()
		if _, err := s.PutEvents(ctx, failures(n)); err != nil {
			t.Fatal(err)
		}
	}
	put(st, 30)
	once(eng, 30)
	put(st, 20)
	put(st, 5)
	once(eng, 25) // from the tail
	burst(st, 55)

	// A gap: another process stores events this store's tail never saw,
	// then this one stores more.
	put(open(), 12)
	put(st, 8)
	once(eng, 20)
	burst(st, 75)
	once(eng, 0)

	// A restart of the engine on the same store (the tail is warm), and
	// of the whole process (a new store, its tail empty).
	put(st, 4)
	once(engine(st), 4)
	burst(st, 79)
	st2 := open()
	put(st2, 6)
	eng2 := engine(st2)
	once(eng2, 6)
	put(st2, 3)
	once(eng2, 3)
	burst(st2, 88)
}

// countingStore counts the engine's feed reads.
type countingStore struct {
	store.Store
	reads int
}

func (c *countingStore) EventFeed(ctx context.Context, after int64, limit int) ([]store.FeedEvent, error) {
	c.reads++
	return c.Store.EventFeed(ctx, after, limit)
}

// Once reads full batches until one comes short, and stops there: a
// poll's events cost one read, not a second to find nothing.
func TestOnceStopsAtAShortBatch(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var evs []model.Event
	for i := range 25 {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: fmt.Sprint(i), Time: at.Add(time.Duration(i) * time.Second),
			TypeName: "USER_LOGGED_INTO_ONELOGIN", IP: "198.51.100.7", UserKey: "zoe@example.com", Score: model.NoScore})
	}
	if _, err := st.PutEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	eng := New(Options{Store: cs, Rules: rules.Defaults(), Batch: 10, Now: func() time.Time { return at }})
	if res, err := eng.Once(ctx); err != nil || res.Events != 25 || cs.reads != 3 {
		t.Fatalf("once: %d events in %d reads (%v), want 25 in 3", res.Events, cs.reads, err)
	}
	if res, err := eng.Once(ctx); err != nil || res.Events != 0 || cs.reads != 4 {
		t.Fatalf("again: %d events in %d reads (%v), want 0 in 1 more", res.Events, cs.reads, err)
	}
}
