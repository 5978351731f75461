// Package app wires risktop together from a config: each configured
// vendor's client and sources (through sources/vendors), the runner that
// polls them, the pruner, the detection engine, the actions service and
// its outbox sender.
// Every command builds what it runs through it; none names a vendor.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/rules"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/detect"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/poll"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/sources/vendors"
)

// Pollers is everything that runs in the background for one config.
type Pollers struct {
	Hub     *hub.Hub
	Runner  *poll.Runner
	Clients actions.Clients // what the actions service acts through

	clients   map[string]any // every configured vendor's, by name
	store     store.Store
	retention time.Duration
	groups    []pollGroup // the sources of each vendor
	log       *slog.Logger
}

// pollGroup is one vendor's sources: on a shared store one instance at a
// time polls them.
type pollGroup struct {
	vendor   string
	sources  []string
	interval time.Duration
}

// pruneEvery is how often data older than the retention is removed.
const pruneEvery = time.Hour

// NewPollers builds a client and its sources for every configured vendor.
func NewPollers(cfg *config.Config, st store.Store, bus *hub.Hub, opts httpx.Options) (*Pollers, error) {
	p := &Pollers{Hub: bus, clients: map[string]any{}, store: st, retention: cfg.Retention}
	var specs []poll.Spec
	for _, v := range vendors.All {
		s := cfg.Source(v.Name)
		if s == nil {
			continue
		}
		c, err := v.New(s, opts)
		if err != nil {
			return nil, err
		}
		p.clients[v.Name] = c
		g := pollGroup{vendor: v.Name, interval: v.Interval(s)}
		for _, src := range v.Sources(c, s, vendorkit.Deps{Store: st, Hub: bus}) {
			specs = append(specs, poll.Spec{Source: src, Interval: v.Interval(s), MinInterval: v.Schedule.Min})
			g.sources = append(g.sources, src.Name())
		}
		p.groups = append(p.groups, g)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("no sources configured in %s", cfg.Path)
	}
	p.Clients = actions.ClientsOf(p.clients)
	p.Runner = poll.NewRunner(bus, specs...)
	return p, nil
}

// Clients builds the clients of the named vendors that are configured, for
// a command that acts without polling.
func Clients(cfg *config.Config, opts httpx.Options, names ...string) (actions.Clients, error) {
	built := map[string]any{}
	for _, v := range vendors.All {
		s := cfg.Source(v.Name)
		if s == nil || !slices.Contains(names, v.Name) {
			continue
		}
		c, err := v.New(s, opts)
		if err != nil {
			return actions.Clients{}, err
		}
		built[v.Name] = c
	}
	return actions.ClientsOf(built), nil
}

// Client is the named vendor's client (nil when it is not configured).
func (p *Pollers) Client(vendorName string) any { return p.clients[vendorName] }

// Run polls, and prunes what is older than the retention, until ctx ends;
// it returns when every goroutine it started has.
func (p *Pollers) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if _, shared := p.store.(leader); shared {
		for _, g := range p.groups {
			wg.Go(func() {
				whileLeader(ctx, p.store, "poll/"+g.vendor, g.interval, p.log, func(ctx context.Context) {
					p.Runner.RunSources(ctx, g.sources)
				})
			})
		}
	} else {
		wg.Go(func() { p.Runner.Run(ctx) })
	}
	if p.retention > 0 {
		wg.Go(func() {
			whileLeader(ctx, p.store, "prune", time.Minute, p.log, p.prune)
		})
	}
	wg.Wait()
}

// prune removes what is older than the retention, every pruneEvery.
func (p *Pollers) prune(ctx context.Context) {
	for {
		// A failed prune is retried on the next round; the data it would
		// remove is only old, never wrong.
		_, _ = p.store.Prune(ctx, time.Now().Add(-p.retention))
		_, _ = p.store.PruneAlerts(ctx, time.Now().Add(-p.retention))
		if httpx.Sleep(ctx, pruneEvery) != nil {
			return
		}
	}
}

// RunPollers starts the pollers, and a logger of their health changes, on
// wg until ctx ends.
func RunPollers(ctx context.Context, wg *sync.WaitGroup, p *Pollers, cfg *config.Config, log *slog.Logger) {
	p.log = log
	wg.Go(func() {
		log.Info("pollers started", "sources", strings.Join(cfg.Sources(), ","))
		p.Run(ctx)
		log.Info("pollers stopped")
	})
	wg.Go(func() { logHealth(ctx, p.Hub, p.store, log) })
}

// logHealth logs each source's health when its state or error changes,
// so the log tells why a pill turned red after the fact, and stores each
// change of state for the Overview's Changes (st may be nil).
func logHealth(ctx context.Context, bus *hub.Hub, st store.Store, log *slog.Logger) {
	sub := bus.Subscribe()
	defer sub.Close()
	last := map[string]model.Health{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Ready():
		}
		for _, m := range sub.Take() {
			h, ok := m.(hub.HealthMsg)
			if !ok {
				continue
			}
			prev, seen := last[h.Source]
			last[h.Source] = h.Health
			if seen && prev.State == h.State && prev.LastError == h.LastError && prev.Note == h.Note {
				continue
			}
			if st != nil && seen && prev.State != h.State && (prev.State != model.StateStarting || h.State != model.StateOK) {
				// Every start goes starting → ok: not a change worth a line.
				// A failed write loses one line of Changes, never the log's.
				_ = st.RecordHealth(ctx, model.HealthChange{Source: h.Source, At: time.Now(), From: prev.State, To: h.State, Error: h.LastError})
			}
			level := slog.LevelInfo
			switch h.State {
			case model.StateDegraded:
				level = slog.LevelWarn
			case model.StateFailing:
				level = slog.LevelError
			}
			attrs := []any{"source", h.Source, "state", h.State.String()}
			if h.Note != "" {
				attrs = append(attrs, "note", h.Note)
			}
			if h.LastError != "" {
				attrs = append(attrs, "err", h.LastError, "failures", h.Failures, "backoff", h.Backoff)
			}
			log.Log(ctx, level, "source health", attrs...)
		}
	}
}

// NewDetections builds the detection engine on cfg's rules (the built-in
// ones for a config that was not read from a file). log may be nil.
func NewDetections(cfg *config.Config, st store.Store, bus *hub.Hub, log *slog.Logger) *detect.Engine {
	rs := cfg.Rules
	if rs == nil {
		rs = rules.Defaults()
	}
	return detect.New(detect.Options{Store: st, Hub: bus, Rules: rs, Log: log, VendorName: vendorDisplay})
}

// vendorDisplay is a vendor's name for people, its key when unknown.
func vendorDisplay(name string) string {
	for _, v := range vendors.All {
		if v.Name == name {
			return v.Display
		}
	}
	return name
}

// RunDetections starts the detection engine on wg until ctx ends: one per
// process, beside the pollers (under serve, not one per session). It
// evaluates what the pollers store as the hub announces it.
// On a shared store one instance runs it; each term starts a fresh
// engine, which resumes from the store's cursors.
func RunDetections(ctx context.Context, wg *sync.WaitGroup, st store.Store, bus *hub.Hub, cfg *config.Config, log *slog.Logger) {
	wg.Go(func() {
		whileLeader(ctx, st, "detect", detect.DefaultTick/4, log, func(ctx context.Context) {
			log.Info("detections started")
			NewDetections(cfg, st, bus, log).Run(ctx)
			log.Info("detections stopped")
		})
	})
}

// ServiceOptions are what a command needs to act on the vendors.
type ServiceOptions struct {
	Store     store.Store
	Clients   actions.Clients
	ReadOnly  bool
	AuditFile string
	Log       *slog.Logger
	Hub       *hub.Hub // told of every change to the outbox or the audit log; nil for none
}

// NewService builds the actions service.
func NewService(o ServiceOptions) (*actions.Service, error) {
	return actions.New(o.Clients.ActionsOptions(actions.Options{
		Store:     o.Store,
		ReadOnly:  o.ReadOnly,
		AuditFile: o.AuditFile,
		Log:       o.Log,
		// Every dashboard on the hub (one, or every SSH session) reloads
		// its outbox and audit lists; the hub coalesces a burst into one.
		Changed:       o.changed(),
		AlertsChanged: o.alertsChanged(),
		OutboxPoll:    outboxPoll(o.Store),
	}))
}

// changed tells every dashboard on the hub; headless commands have none.
func (o ServiceOptions) changed() func() {
	if o.Hub == nil {
		return nil
	}
	return func() { o.Hub.Publish(hub.ActionsChanged{}) }
}

// alertsChanged tells every dashboard on the hub an alert was
// acknowledged or resolved.
func (o ServiceOptions) alertsChanged() func(int64) {
	if o.Hub == nil {
		return nil
	}
	return func(seq int64) { o.Hub.Publish(hub.AlertsChanged{Seq: seq}) }
}

// RunSender starts the outbox sender on wg until ctx ends. In read-only
// mode, or with nowhere to push, it returns at once.
//
// On a shared store one instance sends at a time (leadership of "send"),
// so Okta sees one instance's pushes within one rate budget, however many
// instances run; another takes over when it dies.
func RunSender(ctx context.Context, wg *sync.WaitGroup, st store.Store, svc *actions.Service, log *slog.Logger) {
	wg.Go(func() {
		if svc.ReadOnly() || !svc.CanPush() {
			return
		}
		whileLeader(ctx, st, "send", senderTerm, log, func(ctx context.Context) {
			log.Info("outbox sender started")
			svc.NewSender().Run(ctx)
			log.Info("outbox sender stopped")
		})
	})
}

// senderTerm sets how fast another instance takes over sending: within
// about 2.5 s of the sender's death (leaderRetry).
const senderTerm = 4 * time.Second
