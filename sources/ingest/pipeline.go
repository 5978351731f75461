// Package ingest is what every vendor's sources share on the way from a
// decoded page to the store: the pipeline that stores a page while the
// next is fetched and decoded.
package ingest

import (
	"context"
	"sync"

	"github.com/risktop/risktop/model"
)

// EventWriter is where a pipeline stores events (model/store.Store).
type EventWriter interface {
	PutEvents(ctx context.Context, events []model.Event) (inserted int, err error)
}

// Pipeline stores events on its own goroutine while the caller fetches and
// decodes the next page, so ingest runs at the pace of the slower of the
// two instead of their sum. Batches that queue up while a write is under
// way go into the next write together: one transaction for several pages.
// Each batch's Done runs, in order, once its events are stored (to move a
// cursor only past what is safely on disk).
type Pipeline struct {
	st   EventWriter
	in   chan Job
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
	stop context.CancelFunc
}

// Job is one batch of events, and what to do once they are stored.
type Job struct {
	Events []model.Event
	Done   func(inserted int) error
}

// depth is how many decoded pages may wait for the writer.
const depth = 4

// Start runs a pipeline writing to st until Close.
func Start(ctx context.Context, st EventWriter) *Pipeline {
	ctx, cancel := context.WithCancel(ctx)
	p := &Pipeline{st: st, in: make(chan Job, depth), stop: cancel}
	p.wg.Go(func() { p.write(ctx) })
	return p
}

// Put queues a batch; it waits while the queue is full and reports a
// write that already failed, after which nothing more is stored.
func (p *Pipeline) Put(ctx context.Context, j Job) error {
	if err := p.failed(); err != nil {
		return err
	}
	select {
	case p.in <- j:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close waits for every queued batch and returns the first error.
func (p *Pipeline) Close() error {
	close(p.in)
	p.wg.Wait()
	p.stop()
	return p.failed()
}

func (p *Pipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *Pipeline) write(ctx context.Context) {
	var batch []Job
	var events []model.Event
	for j := range p.in {
		batch, events = append(batch[:0], j), append(events[:0], j.Events...)
	more:
		for {
			select {
			case k, ok := <-p.in:
				if !ok {
					break more
				}
				batch, events = append(batch, k), append(events, k.Events...)
			default:
				break more
			}
		}
		if p.failed() != nil {
			continue // drain, so Put never blocks on a dead writer
		}
		n, err := p.st.PutEvents(ctx, events)
		for i, k := range batch {
			if err != nil {
				break
			}
			if k.Done != nil {
				inserted := 0
				if i == len(batch)-1 {
					inserted = n // a merged write reports its total once
				}
				err = k.Done(inserted)
			}
		}
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
		}
	}
}
