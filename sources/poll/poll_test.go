package poll

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
	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// tenant is the vendor simulators over one world, reached in-process so a
// synctest bubble (fake time) can drive hours of polling in milliseconds.
type tenant struct {
	world *simkit.World
	ol    *olsim.Server
	cf    *cfsim.Server
	casb  *casbsim.Server
	dir   string
}

func newTenant(t *testing.T, history time.Duration, olOpts olsim.Options) *tenant {
	w := simkit.NewWorld(simkit.Options{Seed: 3, People: 60, History: history, EventsPerMinute: 2, Scenario: true})
	return &tenant{
		world: w,
		ol:    olsim.New(w, olOpts),
		cf:    cfsim.New(w, cfsim.Options{}),
		casb:  casbsim.New(w, casbsim.Options{}),
		dir:   t.TempDir(),
	}
}

func httpOpts(h http.Handler) httpx.Options {
	return httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(h)}, Timeout: 10 * time.Second}
}

func (tn *tenant) oneLogin(t *testing.T) *onelogin.Client {
	c, err := onelogin.New(onelogin.Config{BaseURL: "http://onelogin.sim", ClientID: olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret), HTTP: httpOpts(tn.ol.Handler())})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (tn *tenant) cloudflare(t *testing.T) *cloudflare.Client {
	c, err := cloudflare.New(cloudflare.Config{BaseURL: "http://cloudflare.sim", AccountID: cfsim.DefaultAccountID,
		APIToken: secret.New(cfsim.DefaultToken), HTTP: httpOpts(tn.cf.Handler())})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (tn *tenant) casbClient(t *testing.T) *casb.Client {
	c, err := casb.New(casb.Config{BaseURL: "http://casb.sim", AccessKey: secret.New(casbsim.DefaultAccessKey),
		AccessSecret: secret.New(casbsim.DefaultAccessSecret), HTTP: httpOpts(tn.casb.Handler())})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

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

// diffIDs counts the wanted ids the store lacks, the stored ids nobody
// wanted, and the ids stored more than once.
func diffIDs(got map[string]int, want map[string]bool) (missing, extra, dup int) {
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
	return missing, extra, dup
}

func compare(t *testing.T, got map[string]int, want map[string]bool) {
	t.Helper()
	missing, extra, dup := diffIDs(got, want)
	if missing+extra+dup > 0 {
		t.Fatalf("store vs simulator: %d missing, %d unexpected, %d duplicated (of %d wanted)", missing, extra, dup, len(want))
	}
}

// runFor polls with a fresh client and source over the same store for d
// of fake time, as one run of risktop would.
func (tn *tenant) runFor(t *testing.T, st store.Store, d time.Duration) {
	bus := hub.New()
	src := NewOneLogin(tn.oneLogin(t), st, bus, OneLoginOptions{Backfill: 24 * time.Hour})
	r := NewRunner(bus, Spec{Source: src, Interval: 30 * time.Second, MinInterval: 10 * time.Second})
	stop := start(r)
	defer stop()
	time.Sleep(d)
	synctest.Wait()
	r.Refresh("") // one last poll at the moment compared against
	synctest.Wait()
}

func TestOneLoginIncrementalAcrossRestarts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 25*time.Hour, olsim.Options{})
		st := tn.openStore(t)
		defer st.Close()
		first := time.Now()

		tn.runFor(t, st, 20*time.Minute)
		compare(t, storedIDs(t, st, model.VendorOneLogin), tn.wantIDs(first.Add(-24*time.Hour), time.Now()))
		bf, _ := st.Cursor(context.Background(), cursorOneLoginBackfill)
		if bf == "" {
			t.Fatal("no back-fill cursor stored")
		}

		// A restart resumes from the store: no history is paged again, and
		// the gap while risktop was down is filled.
		time.Sleep(7 * time.Minute) // down
		before := tn.ol.ServedCount()
		tn.runFor(t, st, 3*time.Minute)
		compare(t, storedIDs(t, st, model.VendorOneLogin), tn.wantIDs(first.Add(-24*time.Hour), time.Now()))
		// Six polls over three minutes, each one events page (the gap and
		// the attack burst fit in a few pages) plus the token: far from the
		// ~200 pages of the day's history.
		if served := tn.ol.ServedCount() - before; served > 30 {
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
		pagesSoFar := tn.ol.ServedCount()

		tn.runFor(t, st, 5*time.Minute)
		readProgress(t, st, &p)
		if !p.Done {
			t.Fatalf("back-fill not done after the restart: %+v", p)
		}
		compare(t, storedIDs(t, st, model.VendorOneLogin), tn.wantIDs(first.Add(-24*time.Hour), time.Now()))
		total := len(tn.wantIDs(first.Add(-24*time.Hour), first))/50 + 1
		if resumed := tn.ol.ServedCount() - pagesSoFar; resumed > total-pagesSoFar/2+30 {
			t.Fatalf("resuming took %d requests for a %d-page history, %d of them done before", resumed, total, pagesSoFar)
		}
	})
}

func readProgress(t *testing.T, st store.Store, p *model.Progress) {
	t.Helper()
	raw, err := st.Cursor(context.Background(), cursorOneLoginBackfill)
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
		src := NewOneLogin(tn.oneLogin(t), st, bus, OneLoginOptions{Backfill: 80 * time.Hour})
		r := NewRunner(bus, Spec{Source: src, Interval: 30 * time.Second})
		stop := start(r)
		defer stop()
		minRemaining := limit
		var h model.Health
		for range 3 * 15 { // three budget windows, sampled every minute
			time.Sleep(time.Minute)
			synctest.Wait()
			if got, ok := latestHealth(sub)[model.VendorOneLogin]; ok {
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

func TestFaultsBackOffRecoverAndSparetheOthers(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 25*time.Hour, olsim.Options{})
		st := tn.openStore(t)
		defer st.Close()
		bus := hub.New()
		sub := bus.Subscribe()
		tn.cf.Faults().Set(simkit.Faults{FailNext: 12}) // each poll tries 4 times: three failed polls
		r := NewRunner(bus,
			Spec{Source: NewOneLogin(tn.oneLogin(t), st, bus, OneLoginOptions{}), Interval: 30 * time.Second},
			Spec{Source: NewCloudflare(tn.cloudflare(t), st, bus, CloudflareOptions{}), Interval: 60 * time.Second},
			Spec{Source: NewCASB(tn.casbClient(t), st, bus), Interval: 5 * time.Minute},
		)
		stop := start(r)
		defer stop()

		time.Sleep(35 * time.Second) // three failed polls (each with its in-call retries) end by ~26s; the next is ~20s later
		synctest.Wait()
		health := latestHealth(sub)
		if cf := health[model.VendorCloudflare]; cf.State != model.StateFailing || cf.Failures < 3 || cf.LastError == "" {
			t.Fatalf("cloudflare under fault: %+v", cf)
		}
		for _, v := range []string{model.VendorOneLogin, model.VendorCASB} {
			if h := health[v]; h.State != model.StateOK {
				t.Fatalf("%s suffered from cloudflare's fault: %+v", v, h)
			}
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		health = latestHealth(sub)
		if cf := health[model.VendorCloudflare]; cf.State != model.StateOK || cf.LastSuccess.IsZero() {
			t.Fatalf("cloudflare did not recover: %+v", cf)
		}
		views, err := st.UserRisks(context.Background(), model.VendorCloudflare)
		if err != nil || len(views) == 0 {
			t.Fatalf("no cloudflare views after recovery: %v", err)
		}
		casbViews, _ := st.UserRisks(context.Background(), model.VendorCASB)
		if len(casbViews) == 0 {
			t.Fatal("no CASB views")
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

// TestCloudflareStaysFarInsideItsBudget runs the Cloudflare poller at its
// default interval through a credential-stuffing burst (many users change
// at once) and counts its requests: Cloudflare allows 1,200 per 5 minutes
// per user, shared with other tools, so risktop keeps to a tenth of it.
func TestCloudflareStaysFarInsideItsBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		tn := newTenant(t, 25*time.Hour, olsim.Options{})
		st := tn.openStore(t)
		defer st.Close()
		bus := hub.New()
		r := NewRunner(bus, Spec{Source: NewCloudflare(tn.cloudflare(t), st, bus, CloudflareOptions{}), Interval: 60 * time.Second})
		defer start(r)()
		var windows []int64
		last := tn.cf.Faults().Requests()
		for range 4 { // 20 minutes: the burst runs from 2 to 8
			time.Sleep(5 * time.Minute)
			synctest.Wait()
			now := tn.cf.Faults().Requests()
			windows = append(windows, now-last)
			last = now
		}
		t.Logf("cloudflare requests per 5 minutes: %v", windows)
		for i, n := range windows {
			if n > 120 {
				t.Fatalf("window %d: %d requests in 5 minutes (all: %v); the budget is 1,200 shared", i, n, windows)
			}
		}
		if windows[0]+windows[1] <= 10 {
			t.Fatalf("requests per window %v: no user details were fetched through the burst", windows)
		}
	})
}
