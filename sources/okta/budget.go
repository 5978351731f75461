package okta

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/risktop/risktop/sources/httpx"
)

// Budget paces pushes. Two views are combined: our own token bucket of
// RequestsPerMinute (burst the same, refilling evenly), and Okta's last
// X-Rate-Limit-Remaining/Reset for the events endpoint — when Okta says the
// window is spent, nothing is sent until its reset, whatever the bucket says.
type Budget struct {
	perMinute int
	lim       *rate.Limiter
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error

	mu     sync.Mutex
	server httpx.RateLimit
	seen   bool
}

// BudgetError is returned by Wait when the budget cannot allow a request
// before ctx's deadline. Nothing was sent.
type BudgetError struct {
	PerMinute int
	RetryIn   time.Duration // when the next request will be allowed
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("okta: push budget of %d requests a minute is spent; the next request is allowed in %s, after the deadline",
		e.PerMinute, e.RetryIn.Round(time.Millisecond))
}

func newBudget(perMinute int, now func() time.Time, sleep func(context.Context, time.Duration) error) *Budget {
	if sleep == nil {
		sleep = httpx.Sleep
	}
	return &Budget{
		perMinute: perMinute,
		lim:       rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute)), perMinute),
		now:       now,
		sleep:     sleep,
	}
}

// PerMinute is the configured budget.
func (b *Budget) PerMinute() int { return b.perMinute }

// Available is how many requests may be sent right now.
func (b *Budget) Available() int {
	now := b.now()
	n := int(math.Floor(b.lim.TokensAt(now)))
	if srv, ok := b.serverLeft(now); ok && srv < n {
		n = srv
	}
	return max(n, 0)
}

// Observe records Okta's view of the events endpoint's window.
func (b *Budget) Observe(rl httpx.RateLimit) {
	if rl.Reset.IsZero() && rl.Limit == 0 {
		return
	}
	b.mu.Lock()
	b.server, b.seen = rl, true
	b.mu.Unlock()
}

// serverLeft is Okta's remaining count while its window is still open.
func (b *Budget) serverLeft(now time.Time) (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.seen || b.server.Remaining < 0 || b.server.Reset.IsZero() || !now.Before(b.server.Reset) {
		return 0, false
	}
	return b.server.Remaining, true
}

// serverWait is how long until Okta's spent window resets (0: not spent).
func (b *Budget) serverWait(now time.Time) time.Duration {
	if left, ok := b.serverLeft(now); ok && left == 0 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.server.Reset.Sub(now)
	}
	return 0
}

// Wait takes one request from the budget, sleeping until it is allowed.
// It returns ctx's error if ctx ends first, and a *BudgetError without
// waiting if the request could not be allowed before ctx's deadline.
func (b *Budget) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d := b.serverWait(b.now()); d > 0 {
		if err := b.pause(ctx, d); err != nil {
			return err
		}
	}
	now := b.now()
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return &BudgetError{PerMinute: b.perMinute, RetryIn: time.Minute}
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return nil
	}
	if err := b.pause(ctx, d); err != nil {
		r.CancelAt(now) // give the slot back: nothing was sent
		return err
	}
	return nil
}

func (b *Budget) pause(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && d > time.Until(dl) {
		return &BudgetError{PerMinute: b.perMinute, RetryIn: d}
	}
	return b.sleep(ctx, d)
}
