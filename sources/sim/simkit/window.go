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
	clock  Clock

	mu    sync.Mutex
	start time.Time
	used  int
}

// NewWindow makes a budget of limit per length.
func NewWindow(clock Clock, limit int, length time.Duration) *Window {
	return &Window{Limit: limit, Length: length, clock: clock}
}

// Take spends one request. It reports what is left and when the window
// resets, and ok=false when the budget was already spent.
func (w *Window) Take() (remaining int, reset time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	if w.start.IsZero() || !now.Before(w.start.Add(w.Length)) {
		w.start, w.used = now, 0
	}
	reset = w.start.Add(w.Length)
	if w.used >= w.Limit {
		return 0, reset, false
	}
	w.used++
	return w.Limit - w.used, reset, true
}
