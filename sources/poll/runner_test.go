package poll

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/httpx"
)

// scripted fails or succeeds as told and records when it was polled.
type scripted struct {
	name string
	mu   sync.Mutex
	errs []error // one per poll; nil = success; past the end: success
	at   []time.Time
}

func (s *scripted) Name() string { return s.name }

func (s *scripted) Poll(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	if i := len(s.at) - 1; i < len(s.errs) {
		return "", s.errs[i]
	}
	return "", nil
}

func (s *scripted) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

func lastHealth(t *testing.T, sub *hub.Subscription, source string) model.Health {
	t.Helper()
	var h model.Health
	var found bool
	for _, m := range sub.Take() {
		if hm, ok := m.(hub.HealthMsg); ok && hm.Source == source {
			h, found = hm.Health, true
		}
	}
	if !found {
		t.Fatalf("no health for %s", source)
	}
	return h
}

func TestRunnerSchedulesWithJitterAndBacksOffHonouringRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tooMany := &httpx.Error{Vendor: "acme", Op: "GET /x", Kind: httpx.KindRateLimited, Status: 429, RetryAfter: 90 * time.Second}
		src := &scripted{name: "acme", errs: []error{nil, errors.New("boom"), errors.New("boom"), tooMany, errors.New("boom")}}
		bus := hub.New()
		sub := bus.Subscribe()
		r := NewRunner(bus, Spec{Source: src, Interval: 30 * time.Second, MinInterval: 10 * time.Second})
		defer start(r)()

		time.Sleep(10 * time.Minute)
		synctest.Wait()
		at := src.times()
		if len(at) < 6 {
			t.Fatalf("%d polls in 10 minutes", len(at))
		}
		gaps := make([]time.Duration, len(at)-1)
		for i := range gaps {
			gaps[i] = at[i+1].Sub(at[i])
		}
		within := func(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }
		// success → interval ±10%; failure 1 → 5s ±20%; failure 2 → 10s ±20%;
		// the 429 → at least its Retry-After; failure 4 → 40s ±20%.
		if !within(gaps[0], 27*time.Second, 33*time.Second) || !within(gaps[1], 4*time.Second, 6*time.Second) ||
			!within(gaps[2], 8*time.Second, 12*time.Second) || !within(gaps[3], 90*time.Second, 91*time.Second) ||
			!within(gaps[4], 32*time.Second, 48*time.Second) {
			t.Fatalf("gaps between polls = %v", gaps)
		}
		h := lastHealth(t, sub, "acme")
		if h.State != model.StateOK || h.Failures != 0 || h.LastError != "boom" || h.NextPoll.IsZero() {
			t.Fatalf("health after recovery = %+v", h)
		}
	})
}

func TestRunnerHealthTurnsFailingAndRefreshPollsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		denied := &httpx.Error{Vendor: "acme", Op: "GET /x", Kind: httpx.KindStatus, Status: 401}
		src := &scripted{name: "acme", errs: []error{errors.New("a"), errors.New("b"), denied}}
		bus := hub.New()
		sub := bus.Subscribe()
		r := NewRunner(bus, Spec{Source: src, Interval: time.Hour})
		defer start(r)()

		synctest.Wait()
		if h := lastHealth(t, sub, "acme"); h.State != model.StateDegraded || h.Failures != 1 {
			t.Fatalf("after one failure: %+v", h)
		}
		time.Sleep(20 * time.Second) // failures at 0s, ~5s and ~15s; the next try is ~20s later
		synctest.Wait()
		if h := lastHealth(t, sub, "acme"); h.State != model.StateFailing || h.Failures != 3 {
			t.Fatalf("after three failures: %+v", h)
		}
		time.Sleep(20 * time.Minute) // the back-off is over; healthy again and on the hourly schedule
		synctest.Wait()
		n := len(src.times())
		r.Refresh("acme")
		synctest.Wait()
		if len(src.times()) != n+1 {
			t.Fatalf("Refresh did not poll at once: %d → %d polls", n, len(src.times()))
		}
		if got := r.Scale(0.0001)["acme"]; got != time.Second {
			t.Fatalf("scaled interval = %s, want the 1s floor", got)
		}
	})
}

func TestWarningIsDegradedWithoutBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &scripted{name: "acme", errs: []error{Warning("provider not attributed")}}
		bus := hub.New()
		sub := bus.Subscribe()
		r := NewRunner(bus, Spec{Source: src, Interval: time.Minute})
		defer start(r)()
		synctest.Wait()
		h := lastHealth(t, sub, "acme")
		if h.State != model.StateDegraded || h.Note != "provider not attributed" || h.Failures != 0 || h.Backoff != 0 {
			t.Fatalf("health = %+v", h)
		}
	})
}

// start runs r until the returned stop is called; deferred, it also
// cleans up after a failed assertion so the bubble can end.
func start(r *Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// filler has a back-fill that finishes (or not) and work left for two
// more polls.
type filler struct {
	scripted
	finish  bool
	mu2     sync.Mutex
	prog    *model.Progress
	pending int
}

func (f *filler) Background(ctx context.Context, changed func()) {
	f.mu2.Lock()
	f.prog = &model.Progress{From: time.Unix(0, 0), To: time.Unix(100, 0), Reached: time.Unix(50, 0), Events: 5}
	f.mu2.Unlock()
	changed()
	if !f.finish {
		<-ctx.Done()
		return
	}
	f.mu2.Lock()
	f.prog = nil
	f.mu2.Unlock()
}

func (f *filler) Progress() *model.Progress {
	f.mu2.Lock()
	defer f.mu2.Unlock()
	return f.prog
}

func (f *filler) Poll(ctx context.Context) (string, error) {
	f.scripted.Poll(ctx)
	f.mu2.Lock()
	defer f.mu2.Unlock()
	if f.pending > 0 {
		f.pending--
	}
	return "", nil
}

func (f *filler) Pending() bool { f.mu2.Lock(); defer f.mu2.Unlock(); return f.pending > 0 }

func TestOnceCatchesEverySourceUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := &filler{scripted: scripted{name: "done"}, finish: true, pending: 3}
		stuck := &filler{scripted: scripted{name: "stuck"}}
		bad := &scripted{name: "bad", errs: []error{errors.New("401 nope")}}
		plain := &scripted{name: "plain"}
		r := NewRunner(hub.New(), Spec{Source: done, Interval: time.Minute}, Spec{Source: stuck, Interval: time.Minute},
			Spec{Source: bad, Interval: time.Minute}, Spec{Source: plain, Interval: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		var mu sync.Mutex
		steps := map[string]int{}
		out := r.Once(ctx, func(s Step) { mu.Lock(); steps[s.Source+" "+s.What]++; mu.Unlock() })
		names := []string{"done", "stuck", "bad", "plain"}
		for i, o := range out {
			if o.Source != names[i] {
				t.Fatalf("outcome %d is %s", i, o.Source)
			}
		}
		// done: poll, back-fill, poll, then polls while pending (3 → 0 over the three polls).
		if out[0].Err != nil || len(done.times()) != 3 || steps["done backfill"] != 1 {
			t.Errorf("done: %v, %d polls, steps %v", out[0].Err, len(done.times()), steps)
		}
		if out[1].Err == nil || out[1].Backfill == nil || len(stuck.times()) != 1 {
			t.Errorf("stuck: %v %v, %d polls", out[1].Err, out[1].Backfill, len(stuck.times()))
		}
		if out[2].Err == nil || len(bad.times()) != 1 {
			t.Errorf("bad: %v, %d polls", out[2].Err, len(bad.times()))
		}
		if out[3].Err != nil || len(plain.times()) != 1 {
			t.Errorf("plain: %v, %d polls", out[3].Err, len(plain.times()))
		}
		if h := r.Health(); h[2].State == model.StateOK || h[3].State != model.StateOK {
			t.Errorf("health %+v", h)
		}
	})
}
