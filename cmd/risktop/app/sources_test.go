package app

import (
	"context"
	"net/http"
	"path/filepath"
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
	"github.com/risktop/risktop/sources/poll"
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

// start runs r until the returned stop is called; deferred, it also
// cleans up after a failed assertion so the bubble can end.
func start(r *poll.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
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
		r := poll.NewRunner(bus,
			poll.Spec{Source: onelogin.NewSource(tn.oneLogin(t), st, bus, onelogin.SourceOptions{}), Interval: 30 * time.Second},
			poll.Spec{Source: cloudflare.NewSource(tn.cloudflare(t), st, bus, cloudflare.SourceOptions{}), Interval: 60 * time.Second},
			poll.Spec{Source: casb.NewSource(tn.casbClient(t), st, bus), Interval: 5 * time.Minute},
		)
		stop := start(r)
		defer stop()

		time.Sleep(35 * time.Second) // three failed polls (each with its in-call retries) end by ~26s; the next is ~20s later
		synctest.Wait()
		health := latestHealth(sub)
		if cf := health["cloudflare"]; cf.State != model.StateFailing || cf.Failures < 3 || cf.LastError == "" {
			t.Fatalf("cloudflare under fault: %+v", cf)
		}
		for _, v := range []string{"onelogin", "casb"} {
			if h := health[v]; h.State != model.StateOK {
				t.Fatalf("%s suffered from cloudflare's fault: %+v", v, h)
			}
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		health = latestHealth(sub)
		if cf := health["cloudflare"]; cf.State != model.StateOK || cf.LastSuccess.IsZero() {
			t.Fatalf("cloudflare did not recover: %+v", cf)
		}
		views, err := st.UserRisks(context.Background(), "cloudflare")
		if err != nil || len(views) == 0 {
			t.Fatalf("no cloudflare views after recovery: %v", err)
		}
		casbViews, _ := st.UserRisks(context.Background(), "casb")
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
