package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
	"github.com/risktop/risktop/model/store"
)

// raceEvents are n events crowded into 7 milliseconds, so concurrent
// batches also contend for the same seq tiebreaks.
func raceEvents(n int) []model.Event {
	g := eventgen.New(11, 50)
	evs := g.Batch(n, FixtureNow, time.Hour)
	for i := range evs {
		evs[i].Time = FixtureNow.Add(time.Duration(i%7) * time.Millisecond)
	}
	return evs
}

// raceWriters puts evs from four writers at once, two on each of two
// stores on the same data: writer w puts the batches of 50 of its own
// range, which overlaps its neighbours', in its own order. It returns
// the inserted counts.
func raceWriters(t *testing.T, stores [2]store.Store, evs []model.Event) int {
	t.Helper()
	const writers, batch = 4, 50
	span := len(evs) / writers
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inserted int
		errs     []error
	)
	for w := range writers {
		from, to := max(w*span-span/2, 0), min((w+1)*span+span/2, len(evs))
		mine := evs[from:to]
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for k := range (len(mine) + batch - 1) / batch {
				i := k * batch
				if w%2 == 1 { // backwards: meet the neighbour's batches head on
					i = (len(mine)+batch-1)/batch*batch - (k+1)*batch
				}
				n, err := s.PutEvents(context.Background(), mine[max(i, 0):min(i+batch, len(mine))])
				mu.Lock()
				inserted += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	return inserted
}

// Two stores on one database put overlapping batches at once: every event
// is stored once and counted once, and the feed numbers them 1…n.
func testPutEventsRacingStores(t *testing.T, open Opener) {
	f := open(t)
	stores := [2]store.Store{f.Store, f.Second(t)}
	evs := raceEvents(1200)
	if n := raceWriters(t, stores, evs); n != len(evs) {
		t.Fatalf("the writers inserted %d, want %d", n, len(evs))
	}
	ctx := context.Background()
	if n, err := f.Store.CountEvents(ctx, store.EventFilter{}); err != nil || n != len(evs) {
		t.Fatalf("count = %d, %v; want %d", n, err, len(evs))
	}
	seen := map[string]bool{}
	for i, e := range readFeed(t, stores[1], 0, 500) {
		if e.Feed != int64(i+1) {
			t.Fatalf("feed number %d at %d", e.Feed, i)
		}
		if seen[e.ID] {
			t.Fatalf("%s twice in the feed", e.ID)
		}
		seen[e.ID] = true
	}
	if len(seen) != len(evs) {
		t.Fatalf("the feed holds %d events, want %d", len(seen), len(evs))
	}
	if head, err := stores[0].FeedHead(ctx); err != nil || head != int64(len(evs)) {
		t.Fatalf("head = %d, %v", head, err)
	}
	page := walk(t, stores[0], store.EventQuery{Limit: 500})
	if len(page) != len(evs) || len(sorted(ids(page))) != len(seen) {
		t.Fatalf("pages hold %d events, want %d", len(page), len(evs))
	}
	for _, e := range page {
		if got, err := stores[1].Event(ctx, e.Vendor, e.ID); err != nil || !got.Time.Equal(e.Time) {
			t.Fatalf("%s: %v, %v", e.ID, got.Time, err)
		}
	}
}

// A reader polling the feed while two stores write sees every number
// once, each poll continuing exactly where the last ended: the numbers
// are handed out in commit order, so none commits behind the reader.
func testEventFeedReaderDuringRacingWrites(t *testing.T, open Opener) {
	feedReaderDuringRacingWrites(t, open, false)
}

// The same with one of the writers reading: its feed's tail holds its own
// batches only, and must never serve a run that skips the other's.
func testEventFeedWriterReadsDuringRacingWrites(t *testing.T, open Opener) {
	feedReaderDuringRacingWrites(t, open, true)
}

func feedReaderDuringRacingWrites(t *testing.T, open Opener, writerReads bool) {
	f := open(t)
	stores := [2]store.Store{f.Store, f.Second(t)}
	reader := stores[0]
	if !writerReads {
		reader = f.Second(t)
	}
	evs := raceEvents(1000)
	ctx := context.Background()
	done := make(chan struct{})
	readErr := make(chan error, 1)
	var read []store.FeedEvent
	go func() {
		var after int64
		finished := false
		for {
			select {
			case <-done:
				finished = true
			default:
			}
			got, err := reader.EventFeed(ctx, after, 37)
			if err != nil {
				readErr <- err
				return
			}
			for i, e := range got {
				if e.Feed != after+int64(i)+1 {
					readErr <- fmt.Errorf("after %d the feed gave %d at %d: a gap the reader would skip", after, e.Feed, i)
					return
				}
			}
			read = append(read, got...)
			if len(got) > 0 {
				after = got[len(got)-1].Feed
			} else if finished {
				readErr <- nil
				return
			}
		}
	}()
	n := raceWriters(t, stores, evs)
	close(done)
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	if n != len(evs) || len(read) != len(evs) {
		t.Fatalf("inserted %d, read %d, want %d", n, len(read), len(evs))
	}
	seen := map[string]bool{}
	for _, e := range read {
		seen[e.Vendor+"/"+e.ID] = true
	}
	if len(seen) != len(evs) {
		t.Fatalf("read %d distinct events, want %d", len(seen), len(evs))
	}
	// Again from the start, now that the writers are done: a reader
	// behind the tail (a restarted engine) reaches it too.
	again := readFeed(t, reader, 0, 37)
	for i, e := range again {
		if e.Feed != int64(i)+1 || e.ID != read[i].ID {
			t.Fatalf("read again: %d:%s at %d, first read %d:%s", e.Feed, e.ID, i, read[i].Feed, read[i].ID)
		}
	}
	if len(again) != len(evs) {
		t.Fatalf("read again %d events, want %d", len(again), len(evs))
	}
}
