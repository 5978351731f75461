package store

import (
	"slices"
	"sync"
)

// FeedTail keeps the events a store's PutEvents inserted last, with
// their feed numbers, as the feed reads them back: the detection engine
// in the same process reads a poll's events from memory instead of the
// table (reading 1,000 rows back was about a third of its poll). Both
// stores keep one. It holds one run of consecutive feed numbers; a batch
// that does not continue it (two writers appending out of order, another
// process's numbers in between) starts it over, so what it holds is
// always exactly what the table holds under those numbers. A reader it
// cannot serve (a gap, a restart, an empty answer) reads the table.
//
// The zero value is empty and ready.
type FeedTail struct {
	mu  sync.Mutex
	evs []FeedEvent // evs[i].Feed == evs[0].Feed+i
	gen uint64      // counts Resets (see Mark)
}

// maxFeedTail bounds the tail: twice the engine's default batch.
const maxFeedTail = 10_000

// Mark is taken before the transaction whose events Add will be given:
// a Reset in between (a prune that may have deleted them once they were
// committed) makes Add drop them, however late Add runs.
func (t *FeedTail) Mark() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// Add appends a committed batch, as queryFeed would read it back. A batch
// not numbered consecutively, or marked before a Reset, is not kept and
// the tail starts over empty.
func (t *FeedTail) Add(mark uint64, batch []FeedEvent) {
	if len(batch) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if mark != t.gen || !consecutive(batch) {
		t.evs = nil
		return
	}
	if n := len(t.evs); n > 0 && t.evs[n-1].Feed+1 != batch[0].Feed {
		t.evs = nil
	}
	if len(batch) >= maxFeedTail {
		t.evs = slices.Clone(batch[len(batch)-maxFeedTail/2:])
		return
	}
	if len(t.evs)+len(batch) > maxFeedTail {
		// Keep the newer half: a copy, so readers' slices stay theirs.
		keep := t.evs[len(t.evs)-min(len(t.evs), maxFeedTail/2):]
		t.evs = append(slices.Clone(keep), batch...)
		return
	}
	t.evs = append(t.evs, batch...)
}

func consecutive(batch []FeedEvent) bool {
	for i := range batch {
		if batch[i].Feed != batch[0].Feed+int64(i) || batch[i].Feed <= 0 {
			return false
		}
	}
	return true
}

// Read returns up to limit events after feed number after, or nil when
// the tail does not hold after+1. The events are the tail's own, shared
// with other readers: Add never changes an event it holds (it appends
// past the end, or starts a new array), and the slice is clipped, so a
// reader's append copies. Copying a poll's events was a tenth of the
// engine's evaluation.
func (t *FeedTail) Read(after int64, limit int) []FeedEvent {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.evs) == 0 || limit <= 0 {
		return nil
	}
	i := after + 1 - t.evs[0].Feed
	if i < 0 || i >= int64(len(t.evs)) {
		return nil
	}
	end := min(int64(len(t.evs)), i+int64(limit))
	return t.evs[i:end:end]
}

// Reset forgets the tail, and the batches marked before it (events were
// deleted).
func (t *FeedTail) Reset() {
	t.mu.Lock()
	t.evs = nil
	t.gen++
	t.mu.Unlock()
}
