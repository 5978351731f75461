// Package simkit is what the four vendor simulators share: one generated
// world of people and their sign-in activity, a clock, the live attack
// scenario, fault injection, tokens, rate-limit windows, and the server
// they are each built on.
package simkit

import (
	"sync"
	"time"
)

// Clock tells the simulator's time. The demo uses the wall clock; tests
// use a ManualClock so generated data is the same on every run.
type Clock interface{ Now() time.Time }

// WallClock is the real time.
type WallClock struct{}

func (WallClock) Now() time.Time { return time.Now() }

// ManualClock only moves when told to.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock starts at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
