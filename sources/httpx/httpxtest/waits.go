// Package httpxtest has test helpers for code built on httpx.
package httpxtest

import (
	"context"
	"sync"
	"time"
)

// Waits stands in for httpx.Options.Sleep: it records each wait a client
// asks for instead of sleeping, so tests assert the back-off and
// Retry-After a client honoured without taking that long.
type Waits struct {
	// Advance, when set, is told of each wait (a manual clock moving on,
	// as time would have passed).
	Advance func(time.Duration)

	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once (with ctx's error, if it is done).
func (w *Waits) Sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.Advance != nil {
		w.Advance(d)
	}
	return nil
}

// All returns the waits so far, in order.
func (w *Waits) All() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// Reset forgets the waits so far.
func (w *Waits) Reset() {
	w.mu.Lock()
	w.d = nil
	w.mu.Unlock()
}
