package poll

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
)

// Clients are the vendor clients of the enabled sources (nil when off), for
// the calls the dashboard makes on demand: a user's detail, a reset, a push.
type Clients struct {
	OneLogin   *onelogin.Client
	CASB       *casb.Client
	Cloudflare *cloudflare.Client
	Okta       *okta.Client
}

// Pollers is everything that runs in the background for one config.
type Pollers struct {
	Hub     *hub.Hub
	Runner  *Runner
	Clients Clients

	store     store.Store
	retention time.Duration
}

// oktaCheckEvery is how often the Okta source checks its provider
// registration; it pushes, it does not poll.
const oktaCheckEvery = 15 * time.Minute

// pruneEvery is how often data older than the retention is removed.
const pruneEvery = time.Hour

// FromConfig builds a client and a poller for every enabled source.
func FromConfig(cfg *config.Config, st store.Store, bus *hub.Hub, opts httpx.Options) (*Pollers, error) {
	p := &Pollers{Hub: bus, store: st, retention: cfg.Retention}
	var specs []Spec
	if s := cfg.Source(model.VendorOneLogin); s != nil {
		c, err := onelogin.New(onelogin.ConfigOf(s, opts))
		if err != nil {
			return nil, err
		}
		p.Clients.OneLogin = c
		specs = append(specs, Spec{Source: NewOneLogin(c, st, bus, OneLoginOptions{Backfill: s.Duration("backfill")}),
			Interval: s.Duration("interval"), MinInterval: onelogin.MinInterval})
	}
	if s := cfg.Source(model.VendorCASB); s != nil {
		c, err := casb.New(casb.ConfigOf(s, opts))
		if err != nil {
			return nil, err
		}
		p.Clients.CASB = c
		specs = append(specs, Spec{Source: NewCASB(c, st, bus), Interval: s.Duration("interval"), MinInterval: casb.MinInterval})
	}
	if s := cfg.Source(model.VendorCloudflare); s != nil {
		c, err := cloudflare.New(cloudflare.ConfigOf(s, opts))
		if err != nil {
			return nil, err
		}
		p.Clients.Cloudflare = c
		specs = append(specs, Spec{Source: NewCloudflare(c, st, bus, CloudflareOptions{}),
			Interval: s.Duration("interval"), MinInterval: cloudflare.MinInterval})
	}
	if s := cfg.Source(model.VendorOkta); s != nil {
		c, err := okta.New(okta.ConfigOf(s, opts))
		if err != nil {
			return nil, err
		}
		p.Clients.Okta = c
		specs = append(specs, Spec{Source: NewOkta(c), Interval: oktaCheckEvery, MinInterval: oktaCheckEvery})
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("no sources configured in %s", cfg.Path)
	}
	p.Runner = NewRunner(bus, specs...)
	return p, nil
}

// Run polls, and prunes what is older than the retention, until ctx ends;
// it returns when every goroutine it started has.
func (p *Pollers) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { p.Runner.Run(ctx) })
	if p.retention > 0 {
		wg.Go(func() {
			for {
				// A failed prune is retried on the next round; the data
				// it would remove is only old, never wrong.
				_, _ = p.store.Prune(ctx, time.Now().Add(-p.retention))
				if httpx.Sleep(ctx, pruneEvery) != nil {
					return
				}
			}
		})
	}
	wg.Wait()
}
