package poll

import (
	"context"
	"sync"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// pipeline stores events on its own goroutine while the caller fetches and
// decodes the next page, so ingest runs at the pace of the slower of the
// two instead of their sum. Batches that queue up while a write is under
// way go into the next write together: one transaction for several pages.
// Each batch's done runs, in order, once its events are stored (to move a
// cursor only past what is safely on disk).
type pipeline struct {
	st   store.Store
	in   chan ingestJob
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
	stop context.CancelFunc
}

type ingestJob struct {
	events []model.Event
	done   func(inserted int) error
}

// pipelineDepth is how many decoded pages may wait for the writer.
const pipelineDepth = 4

func startPipeline(ctx context.Context, st store.Store) *pipeline {
	ctx, cancel := context.WithCancel(ctx)
	p := &pipeline{st: st, in: make(chan ingestJob, pipelineDepth), stop: cancel}
	p.wg.Go(func() { p.write(ctx) })
	return p
}

// put queues a batch; it waits while the queue is full and reports a
// write that already failed, after which nothing more is stored.
func (p *pipeline) put(ctx context.Context, j ingestJob) error {
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

// close waits for every queued batch and returns the first error.
func (p *pipeline) close() error {
	close(p.in)
	p.wg.Wait()
	p.stop()
	return p.failed()
}

func (p *pipeline) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pipeline) write(ctx context.Context) {
	var batch []ingestJob
	var events []model.Event
	for j := range p.in {
		batch, events = append(batch[:0], j), append(events[:0], j.events...)
	more:
		for {
			select {
			case k, ok := <-p.in:
				if !ok {
					break more
				}
				batch, events = append(batch, k), append(events, k.events...)
			default:
				break more
			}
		}
		if p.failed() != nil {
			continue // drain, so put never blocks on a dead writer
		}
		n, err := p.st.PutEvents(ctx, events)
		for i, k := range batch {
			if err != nil {
				break
			}
			if k.done != nil {
				inserted := 0
				if i == len(batch)-1 {
					inserted = n // a merged write reports its total once
				}
				err = k.done(inserted)
			}
		}
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
		}
	}
}
