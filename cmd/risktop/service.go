package main

import (
	"context"
	"log/slog"
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/poll"
)

// serviceOptions are what a command needs to act on the vendors.
type serviceOptions struct {
	store     store.Store
	clients   poll.Clients
	readOnly  bool
	auditFile string
	log       *slog.Logger
	changed   func()
}

func newService(o serviceOptions) (*actions.Service, error) {
	return actions.New(actions.Options{
		Store:      o.store,
		Cloudflare: o.clients.Cloudflare,
		Okta:       o.clients.Okta,
		ReadOnly:   o.readOnly,
		AuditFile:  o.auditFile,
		Log:        o.log,
		Changed:    o.changed,
	})
}

// runSender starts the outbox sender on wg until ctx ends. In read-only
// mode, or without Okta, it returns at once.
func runSender(ctx context.Context, wg *sync.WaitGroup, svc *actions.Service, log *slog.Logger) {
	wg.Go(func() {
		if svc.ReadOnly() || !svc.CanPush() {
			return
		}
		log.Info("outbox sender started")
		svc.NewSender().Run(ctx)
		log.Info("outbox sender stopped")
	})
}

// changes turns the service's change notices into one pending
// actions.ChangedMsg for the dashboard: Changed must never block, and a
// burst of changes needs one reload.
type changes struct{ c chan struct{} }

func newChanges() *changes { return &changes{c: make(chan struct{}, 1)} }

// notify is the service's Changed.
func (c *changes) notify() {
	select {
	case c.c <- struct{}{}:
	default: // one is pending already
	}
}

// forward sends the notices with send on wg until ctx ends.
func (c *changes) forward(ctx context.Context, wg *sync.WaitGroup, send func(tea.Msg)) {
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-c.c:
				send(actions.ChangedMsg{})
			}
		}
	})
}
