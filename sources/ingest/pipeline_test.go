package ingest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/risktop/risktop/model"
)

// writer records each write; it fails from the write failAt on.
type writer struct {
	mu     sync.Mutex
	writes [][]model.Event
	failAt int
}

func (w *writer) PutEvents(_ context.Context, events []model.Event) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failAt > 0 && len(w.writes)+1 >= w.failAt {
		return 0, errors.New("disk full")
	}
	w.writes = append(w.writes, append([]model.Event(nil), events...))
	return len(events), nil
}

// Every batch is stored, in order, and each Done runs once its events
// are: the one that ends a merged write counts the whole write.
func TestPipelineStoresInOrder(t *testing.T) {
	w := &writer{}
	p := Start(context.Background(), w)
	var done []int
	inserted := 0
	for i := range 10 {
		ev := []model.Event{{Vendor: "acme", ID: string(rune('a' + i))}}
		if err := p.Put(context.Background(), Job{Events: ev, Done: func(n int) error { done = append(done, i); inserted += n; return nil }}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var ids string
	for _, wr := range w.writes {
		for _, e := range wr {
			ids += e.ID
		}
	}
	if ids != "abcdefghij" || inserted != 10 || len(done) != 10 {
		t.Fatalf("stored %q in %d writes, inserted %d, done %v", ids, len(w.writes), inserted, done)
	}
	for i, d := range done {
		if d != i {
			t.Fatalf("done out of order: %v", done)
		}
	}
}

// A failed write is reported by Close, and nothing after it is stored.
func TestPipelineStopsAtAFailedWrite(t *testing.T) {
	w := &writer{failAt: 1}
	p := Start(context.Background(), w)
	called := false
	_ = p.Put(context.Background(), Job{Events: []model.Event{{ID: "a"}}, Done: func(int) error { called = true; return nil }})
	if err := p.Close(); err == nil || called || len(w.writes) != 0 {
		t.Fatalf("close = %v, done called %v, %d writes", err, called, len(w.writes))
	}
}
