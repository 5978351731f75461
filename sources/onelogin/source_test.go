package onelogin

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// tenant is OneLogin's simulator over a world, reached in-process so a
// synctest bubble (fake time) can drive hours of polling in milliseconds.
type tenant struct {
	world *simkit.World
	ol    *olsim.Server
	dir   string
}

func newTenant(t *testing.T, history time.Duration, olOpts olsim.Options) *tenant {
	w := simkit.NewWorld(simkit.Options{Seed: 3, People: 60, History: history, EventsPerMinute: 2, Scenario: true})
	return &tenant{world: w, ol: olsim.New(w, olOpts), dir: t.TempDir()}
}

func (tn *tenant) oneLogin(t *testing.T) *Client {
	c, err := New(Config{BaseURL: "http://onelogin.sim", ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret),
		HTTP:         httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(tn.ol.Handler())}, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pagesServed is the requests served but the Get User lookups, which a
// fresh source makes once per person whatever the history.
func (tn *tenant) pagesServed() int { return tn.ol.ServedCount() - tn.ol.UsersServed() }

func (tn *tenant) openStore(t *testing.T) *store.SQLite {
	st, err := store.Open(filepath.Join(tn.dir, "risktop.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// storedIDs reads every stored event id of a vendor through the pager.
func storedIDs(t *testing.T, st store.Store, vendor string) map[string]int {
	ids := map[string]int{}
	q := store.EventQuery{EventFilter: store.EventFilter{Vendor: vendor}, Limit: 500}
	for {
		page, err := st.Events(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			ids[e.ID]++
		}
		if !page.HasNext {
			return ids
		}
		q.After = page.LastKey
	}
}

// wantIDs is every OneLogin event id the simulator holds in [from, to].
func (tn *tenant) wantIDs(from, to time.Time) map[string]bool {
	want := map[string]bool{}
	for _, a := range tn.world.Between(from, to.Add(time.Millisecond)) {
		want[strconv.FormatInt(olsim.EventID(a), 10)] = true
	}
	return want
}

// compare counts the wanted ids the store lacks, the stored ids nobody
// wanted, and the ids stored more than once.
func compare(t *testing.T, got map[string]int, want map[string]bool) {
	t.Helper()
	var missing, extra, dup int
	for id := range want {
		if got[id] == 0 {
			missing++
		}
	}
	for id, n := range got {
		if !want[id] {
			extra++
		}
		if n > 1 {
			dup++
		}
	}
	if missing+extra+dup > 0 {
		t.Fatalf("store vs simulator: %d missing, %d unexpected, %d duplicated (of %d wanted)", missing, extra, dup, len(want))
	}
}

// runFor polls with a fresh client and source over the same store for d
// of fake time, as one run of risktop would.
func (tn *tenant) runFor(t *testing.T, st store.Store, d time.Duration) {
	bus := hub.New()
	src := NewSource(tn.oneLogin(t), st, bus, SourceOptions{Backfill: 24 * time.Hour})
	r := poll.NewRunner(bus, poll.Spec{Source: src, Interval: 30 * time.Second, MinInterval: 10 * time.Second})
	stop := start(r)
	defer stop()
	time.Sleep(d)
	synctest.Wait()
	r.Refresh("") // one last poll at the moment compared against
	synctest.Wait()
}

// start runs r until the returned stop is called; deferred, it also
// cleans up after a failed assertion so the bubble can end.
func start(r *poll.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func TestOneLoginIncrementalAcrossRestarts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 25*time.Hour, olsim.Options{})
		st := tn.openStore(t)
		defer st.Close()
		first := time.Now()

		tn.runFor(t, st, 20*time.Minute)
		compare(t, storedIDs(t, st, "onelogin"), tn.wantIDs(first.Add(-24*time.Hour), time.Now()))
		bf, _ := st.Cursor(context.Background(), CursorBackfill)
		if bf == "" {
			t.Fatal("no back-fill cursor stored")
		}

		// A restart resumes from the store: no history is paged again, and
		// the gap while risktop was down is filled.
		time.Sleep(7 * time.Minute) // down
		before := tn.pagesServed()
		tn.runFor(t, st, 3*time.Minute)
		compare(t, storedIDs(t, st, "onelogin"), tn.wantIDs(first.Add(-24*time.Hour), time.Now()))
		// Six polls over three minutes, each one events page (the gap and
		// the attack burst fit in a few pages) plus the token: far from the
		// ~200 pages of the day's history.
		if served := tn.pagesServed() - before; served > 30 {
			t.Fatalf("the restart made %d requests; history was paged again", served)
		}
	})
}

func TestBackfillInterruptedResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 25*time.Hour, olsim.Options{})
		st := tn.openStore(t)
		defer st.Close()
		first := time.Now()

		// The back-fill needs ~175 pages at 500ms each: stop it after 20s.
		tn.runFor(t, st, 20*time.Second)
		var p model.Progress
		readProgress(t, st, &p)
		if p.Done || p.Events == 0 || !p.Reached.Before(first) {
			t.Fatalf("after 20s the back-fill is %+v; want under way", p)
		}
		pagesSoFar := tn.pagesServed()

		tn.runFor(t, st, 5*time.Minute)
		readProgress(t, st, &p)
		if !p.Done {
			t.Fatalf("back-fill not done after the restart: %+v", p)
		}
		compare(t, storedIDs(t, st, "onelogin"), tn.wantIDs(first.Add(-24*time.Hour), time.Now()))
		total := len(tn.wantIDs(first.Add(-24*time.Hour), first))/50 + 1
		if resumed := tn.pagesServed() - pagesSoFar; resumed > total-pagesSoFar/2+30 {
			t.Fatalf("resuming took %d requests for a %d-page history, %d of them done before", resumed, total, pagesSoFar)
		}
	})
}

func readProgress(t *testing.T, st store.Store, p *model.Progress) {
	t.Helper()
	raw, err := st.Cursor(context.Background(), CursorBackfill)
	if err != nil || raw == "" {
		t.Fatalf("back-fill cursor: %q, %v", raw, err)
	}
	if err := json.Unmarshal([]byte(raw), p); err != nil {
		t.Fatal(err)
	}
}

func TestBackfillStaysWithinTheBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// A budget of 80 calls per 15 minutes against ~200 pages of history
		// and a head (events every 30 s, score insights every 5 min) that
		// needs ~42 a window: the back-fill must wait for budget resets,
		// leave a fifth of the budget to other integrations, and the
		// simulator must never answer 429.
		const limit = 80
		tn := newTenant(t, 81*time.Hour, olsim.Options{RateLimit: limit, RateWindow: 15 * time.Minute})
		st := tn.openStore(t)
		defer st.Close()
		bus := hub.New()
		sub := bus.Subscribe()
		src := NewSource(tn.oneLogin(t), st, bus, SourceOptions{Backfill: 80 * time.Hour})
		r := poll.NewRunner(bus, poll.Spec{Source: src, Interval: 30 * time.Second})
		stop := start(r)
		defer stop()
		minRemaining := limit
		var h model.Health
		for range 3 * 15 { // three budget windows, sampled every minute
			time.Sleep(time.Minute)
			synctest.Wait()
			if got, ok := latestHealth(sub)["onelogin"]; ok {
				h = got
			}
			if h.RateLimit.Known {
				minRemaining = min(minRemaining, h.RateLimit.Remaining)
			}
		}
		for _, s := range tn.ol.Log() {
			if s.Status == http.StatusTooManyRequests {
				t.Fatalf("the simulator answered 429 to %s %s", s.Method, s.Path)
			}
		}
		if h.State != model.StateOK {
			t.Fatalf("state %s: %s", h.State, h.LastError)
		}
		if minRemaining < limit/5-4 {
			t.Fatalf("the budget fell to %d of %d; the fifth kept for others is %d", minRemaining, limit, limit/5)
		}
		if h.Backfill == nil || h.Backfill.Done || h.Backfill.Events == 0 {
			t.Fatalf("back-fill = %+v; want under way but paced by the budget", h.Backfill)
		}
	})
}

func latestHealth(sub *hub.Subscription) map[string]model.Health {
	out := map[string]model.Health{}
	for _, m := range sub.Take() {
		if hm, ok := m.(hub.HealthMsg); ok {
			out[hm.Source] = hm.Health
		}
	}
	return out
}
