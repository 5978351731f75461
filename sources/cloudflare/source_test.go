package cloudflare_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// TestCloudflareStaysFarInsideItsBudget runs the Cloudflare poller at its
// default interval through a credential-stuffing burst (many users change
// at once) and counts its requests: Cloudflare allows 1,200 per 5 minutes
// per user, shared with other tools, so risktop keeps to a tenth of it.
func TestCloudflareStaysFarInsideItsBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := simkit.NewWorld(simkit.Options{Seed: 3, People: 60, History: 25 * time.Hour, EventsPerMinute: 2, Scenario: true})
		cf := cfsim.New(w, cfsim.Options{})
		c, err := cloudflare.New(cloudflare.Config{BaseURL: "http://cloudflare.sim", AccountID: cfsim.DefaultAccountID,
			APIToken: secret.New(cfsim.DefaultToken),
			HTTP:     httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(cf.Handler())}, Timeout: 10 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(filepath.Join(t.TempDir(), "risktop.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		bus := hub.New()
		r := poll.NewRunner(bus, poll.Spec{Source: cloudflare.NewSource(c, st, bus, cloudflare.SourceOptions{}), Interval: 60 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()
		var windows []int64
		last := cf.Faults().Requests()
		for range 4 { // 20 minutes: the burst runs from 2 to 8
			time.Sleep(5 * time.Minute)
			synctest.Wait()
			now := cf.Faults().Requests()
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

// The first poll on an empty store fetches the detail of users with
// events (up to the cap) and says when some are left for the next poll;
// a restart on the same store fetches only what changed.
func TestFirstPollFetchesDetailsAndSaysWhatIsLeft(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	st, err := store.Open(filepath.Join(t.TempDir(), "risktop.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := cloudflare.NewSource(r.client(cfsim.DefaultToken), st, hub.New(), cloudflare.SourceOptions{DetailsPerPoll: 2})
	if _, err := src.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := st.Events(context.Background(), store.EventQuery{EventFilter: store.EventFilter{Vendor: "cloudflare"}})
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("no detail events after the first poll (%v)", err)
	}
	if !src.Pending() {
		t.Fatal("more than 2 users with events, but nothing pending")
	}
	for n := 0; src.Pending(); n++ {
		if n > 100 {
			t.Fatal("still pending after 100 polls")
		}
		if _, err := src.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	before := r.requests()
	again := cloudflare.NewSource(r.client(cfsim.DefaultToken), st, hub.New(), cloudflare.SourceOptions{DetailsPerPoll: 2})
	if _, err := again.Poll(context.Background()); err != nil || again.Pending() || r.requests()-before != 1 {
		t.Fatalf("restart: %v, pending %v, %d requests (want the summary only)", err, again.Pending(), r.requests()-before)
	}
}
