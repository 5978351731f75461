package simkit

import (
	"sync"
	"time"
)

// Window is a fixed-window request budget: Limit requests per Length, the
// way the vendors describe theirs (5,000 an hour, 1,200 per 5 minutes…).
type Window struct {
	Limit  int
	Length time.Duration
	// Block, when set, refuses every request for that long once one
	// finds the budget spent, as Cloudflare does.
	Block time.Duration
	clock Clock

	mu           sync.Mutex
	start        time.Time
	used         int
	blockedUntil time.Time
}

// NewWindow makes a budget of limit per length.
func NewWindow(clock Clock, limit int, length time.Duration) *Window {
	return &Window{Limit: limit, Length: length, clock: clock}
}

// Take spends one request. It reports what is left and when the window
// resets (under a block, when the block ends), and ok=false when the
// budget was already spent.
func (w *Window) Take() (remaining int, reset time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	if now.Before(w.blockedUntil) {
		return 0, w.blockedUntil, false
	}
	reset = w.roll(now)
	if w.used >= w.Limit {
		if w.Block > 0 {
			w.blockedUntil = now.Add(w.Block)
			return 0, w.blockedUntil, false
		}
		return 0, reset, false
	}
	w.used++
	return w.Limit - w.used, reset, true
}

// Peek reports what is left without spending any (OneLogin's
// /auth/rate_limit).
func (w *Window) Peek() (remaining int, reset time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	reset = w.roll(w.clock.Now())
	return w.Limit - w.used, reset
}

// roll starts a new window once the last one is over, and returns its end.
func (w *Window) roll(now time.Time) time.Time {
	if w.start.IsZero() || !now.Before(w.start.Add(w.Length)) {
		w.start, w.used = now, 0
	}
	return w.start.Add(w.Length)
}

// CeilSeconds rounds d up to whole seconds, as the vendors' Retry-After and
// reset headers count, so a client that waits them out is never early.
func CeilSeconds(d time.Duration) int { return int((d + time.Second - 1) / time.Second) }
