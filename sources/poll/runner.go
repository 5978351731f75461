// Package poll is the runner: each source polled on its own goroutine,
// on its interval with jitter, backing off on failure (honouring
// Retry-After), and its health announced on the hub. What a poll does is
// the vendor's (sources/<vendor>); what runs is the wiring's.
package poll

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
)

// Source is one vendor's poll: fetch what is new, store it, announce it.
type Source interface {
	Name() string
	// Poll does one round. It returns a non-fatal remark for the health
	// line ("" when there is none), or the error that failed the round.
	Poll(ctx context.Context) (note string, err error)
}

// Optional abilities a Source may have.
type (
	// backgrounder runs long work (a history back-fill) beside the polls;
	// it calls changed when its progress moves, and returns when ctx ends.
	backgrounder interface {
		Background(ctx context.Context, changed func())
	}
	rateLimiter interface {
		RateLimit() (httpx.RateLimit, bool)
	}
	progresser interface {
		Progress() *model.Progress
	}
	// pender has work left over after a poll (a per-poll cap reached):
	// a one-shot run polls it again.
	pender interface {
		Pending() bool
	}
)

// Warning is returned by a poll that worked but found something a person
// should fix (pushes that would not be attributed): the source shows as
// degraded with the warning as its note, and keeps its normal schedule.
type Warning string

func (w Warning) Error() string { return string(w) }

// Spec is a source and its schedule.
type Spec struct {
	Source      Source
	Interval    time.Duration
	MinInterval time.Duration // the vendor's safe minimum; SetInterval never goes below
}

// Back-off after a failed poll: doubling from backoffBase, never beyond
// backoffMax, unless the vendor asked for longer with Retry-After.
const (
	backoffBase = 5 * time.Second
	backoffMax  = 10 * time.Minute
	// failingAfter consecutive failures turn a source from degraded to failing.
	failingAfter = 3
	// lowHeadroom is the share of a rate-limit budget below which the
	// health line warns.
	lowHeadroom = 0.1
)

// Runner polls every source on its own goroutine.
type Runner struct {
	hub   *hub.Hub
	loops []*loop
}

type loop struct {
	spec     Spec
	hub      *hub.Hub
	trigger  chan struct{}
	progress chan struct{}

	mu       sync.Mutex
	interval time.Duration
	health   model.Health
	rnd      func() float64 // jitter's source, [0, 1); tests seed it
}

// NewRunner prepares a runner; nothing runs until Run.
func NewRunner(bus *hub.Hub, specs ...Spec) *Runner {
	r := &Runner{hub: bus}
	for _, s := range specs {
		if s.Interval < s.MinInterval {
			s.Interval = s.MinInterval
		}
		r.loops = append(r.loops, &loop{
			spec: s, hub: bus, interval: s.Interval,
			trigger: make(chan struct{}, 1), progress: make(chan struct{}, 1),
			health: model.Health{Source: s.Source.Name(), State: model.StateStarting},
			rnd:    rand.Float64,
		})
	}
	return r
}

// Run polls until ctx ends, then waits for every goroutine it started.
func (r *Runner) Run(ctx context.Context) { r.run(ctx, r.loops) }

// RunSources is Run for the named sources only: a vendor's, while this
// instance leads its polling among instances sharing a store. Sources
// that keep cursors in memory read them from the store again first,
// where another instance may have moved them meanwhile.
func (r *Runner) RunSources(ctx context.Context, names []string) {
	var loops []*loop
	for _, l := range r.loops {
		if slices.Contains(names, l.spec.Source.Name()) {
			if rl, ok := l.spec.Source.(reloader); ok {
				rl.Reload()
			}
			loops = append(loops, l)
		}
	}
	r.run(ctx, loops)
}

// reloader is a source that caches its cursors: Reload drops them.
type reloader interface{ Reload() }

func (r *Runner) run(ctx context.Context, loops []*loop) {
	var wg sync.WaitGroup
	for _, l := range loops {
		l.publish()
		wg.Go(func() { l.run(ctx) })
		if bg, ok := l.spec.Source.(backgrounder); ok {
			wg.Go(func() {
				bg.Background(ctx, func() {
					select {
					case l.progress <- struct{}{}:
					default:
					}
				})
			})
		}
	}
	wg.Wait()
}

// Refresh asks a source ("" for every source) to poll now.
func (r *Runner) Refresh(source string) {
	for _, l := range r.loops {
		if source == "" || l.spec.Source.Name() == source {
			select {
			case l.trigger <- struct{}{}:
			default:
			}
		}
	}
}

// Scale multiplies every source's interval by f (the dashboard's +/-
// keys), never below a source's safe minimum, and returns the intervals
// now in force by source.
func (r *Runner) Scale(f float64) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, l := range r.loops {
		l.mu.Lock()
		d := time.Duration(float64(l.interval) * f).Round(time.Second)
		l.interval = max(d, l.spec.MinInterval, time.Second)
		out[l.spec.Source.Name()] = l.interval
		l.mu.Unlock()
	}
	return out
}

// Sources are the sources polled, in the order they were given.
func (r *Runner) Sources() []Source {
	out := make([]Source, len(r.loops))
	for i, l := range r.loops {
		out[i] = l.spec.Source
	}
	return out
}

// SetJitter replaces each source's jitter (draws in [0, 1)) before Run:
// seeded, a run repeats to the nanosecond of fake time.
func (r *Runner) SetJitter(rnd func(source string) func() float64) {
	for _, l := range r.loops {
		l.rnd = rnd(l.spec.Source.Name())
	}
}

// Health returns every source's current health.
func (r *Runner) Health() []model.Health {
	out := make([]model.Health, 0, len(r.loops))
	for _, l := range r.loops {
		out = append(out, l.snapshot())
	}
	return out
}

func (l *loop) run(ctx context.Context) {
	timer := time.NewTimer(0) // the first poll goes at once
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.progress:
			l.publish()
			continue
		case <-l.trigger:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
		}
		note, err := l.spec.Source.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := l.record(note, err)
		timer.Reset(wait)
		l.publish()
	}
}

// record folds a poll's outcome into the health and returns the wait
// before the next poll.
func (l *loop) record(note string, err error) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := &l.health
	now := time.Now()
	h.Note = note
	var wait time.Duration
	var warn Warning
	if errors.As(err, &warn) {
		h.Note, err = string(warn), nil
	}
	if err == nil {
		h.LastSuccess = now
		h.Failures = 0
		h.Backoff = 0
		h.State = model.StateOK
		if warn != "" {
			h.State = model.StateDegraded
		}
		wait = jitter(l.interval, 0.1, l.rnd)
	} else {
		h.Failures++
		h.LastError = err.Error()
		h.LastErrorAt = now
		h.Backoff = Backoff(h.Failures, httpx.RetryAfterOf(err), l.rnd)
		h.State = model.StateDegraded
		if h.Failures >= failingAfter || refused(err) {
			h.State = model.StateFailing
		}
		wait = h.Backoff
	}
	h.NextPoll = now.Add(wait)
	return wait
}

// refused reports credentials or permissions the vendor will keep refusing
// until a person changes something: no point calling that merely degraded.
func refused(err error) bool {
	switch httpx.StatusOf(err) {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	}
	return false
}

// Backoff is the wait after failures in a row: doubling from 5s, never
// beyond 10 minutes, jittered by rnd (a draw in [0, 1)), and never shorter
// than the vendor's Retry-After.
func Backoff(failures int, retryAfter time.Duration, rnd func() float64) time.Duration {
	d := backoffBase << min(failures-1, 16)
	d = min(d, backoffMax)
	d = jitter(d, 0.2, rnd)
	return max(d, retryAfter)
}

// jitter spreads d by ±frac so sources (and risktop instances) that
// started together do not poll in lock-step.
func jitter(d time.Duration, frac float64, rnd func() float64) time.Duration {
	if d <= 0 {
		return 0
	}
	spread := float64(d) * frac
	return time.Duration(float64(d) - spread + rnd()*2*spread)
}

func (l *loop) snapshot() model.Health {
	l.mu.Lock()
	h := l.health
	l.mu.Unlock()
	if rl, ok := l.spec.Source.(rateLimiter); ok {
		if v, ok := rl.RateLimit(); ok {
			h.RateLimit = model.RateLimit{Known: true, Limit: v.Limit, Remaining: v.Remaining, Reset: v.Reset}
			if hr := h.RateLimit.Headroom(); h.State == model.StateOK && hr >= 0 && hr < lowHeadroom {
				h.State = model.StateDegraded
				if h.Note == "" {
					h.Note = "rate-limit budget nearly spent"
				}
			}
		}
	}
	if p, ok := l.spec.Source.(progresser); ok {
		h.Backfill = p.Progress()
	}
	return h
}

func (l *loop) publish() { l.hub.Publish(hub.HealthMsg{Health: l.snapshot()}) }

// Outcome is how one source's catch-up went (Runner.Once).
type Outcome struct {
	Source string
	Note   string // the last poll's remark, "" for none
	Err    error  // nil when the source caught up
	// Backfill is where an unfinished back-fill stopped; nil when the
	// source has none or it is done.
	Backfill *model.Progress
	Took     time.Duration
}

// Step is a piece of news from Once, for a progress line: a poll begun
// or ended, or a back-fill that moved.
type Step struct {
	Source   string
	What     string          // "poll", "polled", "backfill"
	Backfill *model.Progress // with "backfill"
}

// Once catches every source up a single time, each on its own goroutine,
// and returns their outcomes in the order the sources were given: a poll
// (which also loads the source's stored cursors), its history back-fill
// to the end of the configured window when it has one, then a poll for
// whatever arrived meanwhile. Health goes to the hub as in Run, and step
// (when not nil, called from those goroutines) hears of each step. A
// failed poll ends that source's catch-up with the error; a back-fill
// that has not finished when ctx ends is an error naming where it got to.
// It is the runner's one-shot mode, for `risktop sync`.
func (r *Runner) Once(ctx context.Context, step func(Step)) []Outcome {
	if step == nil {
		step = func(Step) {}
	}
	out := make([]Outcome, len(r.loops))
	var wg sync.WaitGroup
	for i, l := range r.loops {
		l.publish()
		wg.Go(func() { out[i] = l.once(ctx, step) })
	}
	wg.Wait()
	return out
}

func (l *loop) once(ctx context.Context, step func(Step)) Outcome {
	name := l.spec.Source.Name()
	start := time.Now()
	o := Outcome{Source: name}
	pollOnce := func() bool {
		step(Step{Source: name, What: "poll"})
		note, err := l.spec.Source.Poll(ctx)
		if ctx.Err() != nil && err == nil {
			err = ctx.Err()
		}
		l.record(note, err)
		l.publish()
		var warn Warning
		if errors.As(err, &warn) {
			note, err = string(warn), nil
		}
		o.Note, o.Err = note, err
		step(Step{Source: name, What: "polled"})
		return err == nil
	}
	defer func() { o.Took = time.Since(start) }()
	if !pollOnce() {
		return o
	}
	if bg, ok := l.spec.Source.(backgrounder); ok {
		pr, _ := l.spec.Source.(progresser)
		bg.Background(ctx, func() {
			l.publish()
			if pr != nil {
				step(Step{Source: name, What: "backfill", Backfill: pr.Progress()})
			}
		})
		if pr != nil {
			if p := pr.Progress(); p != nil && !p.Done {
				o.Backfill = p
				err := ctx.Err()
				if err == nil {
					err = errors.New("the back-fill stopped before the end of the window")
				}
				o.Err = fmt.Errorf("back-fill reached %s of the window back to %s: %w",
					p.Reached.UTC().Format(time.RFC3339), p.From.UTC().Format(time.RFC3339), err)
				return o
			}
		}
		if ctx.Err() != nil {
			o.Err = ctx.Err()
			return o
		}
		if !pollOnce() {
			return o
		}
	}
	if p, ok := l.spec.Source.(pender); ok {
		for n := 0; p.Pending() && n < maxCatchUpPolls; n++ {
			if !pollOnce() {
				return o
			}
		}
	}
	return o
}

// maxCatchUpPolls bounds Once's extra polls of a source with work left.
const maxCatchUpPolls = 1000
