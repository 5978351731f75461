package app

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/sources/vendors"
)

// TestFromTheSimulatorsConfig loads the config `risktop sim` prints, builds
// every poller from it and runs them: all four sources come up healthy and
// fill the store, and stopping leaves no goroutine behind (the bubble
// would panic on one).
func TestFromTheSimulatorsConfig(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, err := sim.New(sim.Options{World: simkit.Options{Seed: 9, People: 40, History: 25 * time.Hour, EventsPerMinute: 2, Scenario: true}})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		keyFile := filepath.Join(dir, "okta.pem")
		if err := os.WriteFile(keyFile, s.OktaKeyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		text := sim.EndpointsAt("http://sim.local").Config(keyFile) + "store: " + filepath.Join(dir, "risktop.db") + "\n"
		cfg, _, err := config.Parse("sim.yaml", []byte(text), config.Env{}, vendors.All)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(cfg.StorePath, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		bus := hub.New()
		sub := bus.Subscribe()
		p, err := NewPollers(cfg, st, bus, httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(s.Handler())}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		time.Sleep(3 * time.Minute)
		synctest.Wait()
		health := latestHealth(sub)
		for _, v := range vendors.Names() {
			h, ok := health[v]
			if !ok || h.State != model.StateOK {
				t.Errorf("%s: %+v", v, h)
			}
		}
		if n := health["okta"].Note; !strings.Contains(n, "push only") {
			t.Errorf("okta note = %q", n)
		}
		ctx2 := context.Background()
		if n, err := st.CountEvents(ctx2, store.EventFilter{Vendor: "onelogin"}); err != nil || n < 1000 {
			t.Errorf("%d OneLogin events stored (%v); want the day's history", n, err)
		}
		for _, v := range []string{"casb", "cloudflare"} {
			if views, err := st.UserRisks(ctx2, v); err != nil || len(views) == 0 {
				t.Errorf("%s: %d views (%v)", v, len(views), err)
			}
		}
		if _, err := st.LatestScores(ctx2, 24*time.Hour); err != nil {
			t.Errorf("no 24h score insights: %v", err)
		}
	})
}
