package model

import (
	"time"
)

// State is a source's condition as its health pill shows it.
type State int

const (
	StateStarting State = iota // no poll has finished yet
	StateOK                    // the last poll worked
	StateDegraded              // working, but a poll failed or the budget is running low
	StateFailing               // several polls in a row failed, or credentials are refused
	StateOff                   // not configured
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateOK:
		return "ok"
	case StateDegraded:
		return "degraded"
	case StateFailing:
		return "failing"
	case StateOff:
		return "off"
	}
	return "unknown"
}

// Health is one source's condition.
type Health struct {
	Source      string
	State       State
	LastSuccess time.Time
	LastError   string // in plain words, naming what to do when we know
	LastErrorAt time.Time
	Failures    int // consecutive
	NextPoll    time.Time
	Backoff     time.Duration // the wait chosen after the last failure, 0 when healthy
	RateLimit   RateLimit
	Backfill    *Progress // while history is being fetched
	Note        string    // a non-fatal remark ("summary incomplete", "push only")
}

// RateLimit is a vendor's budget as its last response reported it.
type RateLimit struct {
	Known     bool
	Limit     int
	Remaining int
	Reset     time.Time
}

// Headroom is the share of the budget left, 0–1, or -1 when unknown.
func (r RateLimit) Headroom() float64 {
	if !r.Known || r.Limit <= 0 || r.Remaining < 0 {
		return -1
	}
	return float64(r.Remaining) / float64(r.Limit)
}

// Progress is how far a back-fill of history has come. It walks from the
// newest end of the window towards the oldest.
type Progress struct {
	From    time.Time // the window's oldest end
	To      time.Time // where the back-fill started (the live head then)
	Reached time.Time // the oldest moment fetched so far
	Events  int       // events stored so far
	Done    bool
}

// Fraction is how much of the window is fetched, 0–1.
func (p Progress) Fraction() float64 {
	if p.Done {
		return 1
	}
	span := p.To.Sub(p.From)
	if span <= 0 || p.Reached.IsZero() {
		return 0
	}
	f := float64(p.To.Sub(p.Reached)) / float64(span)
	return min(max(f, 0), 1)
}
