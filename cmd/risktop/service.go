package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/risktop/risktop/model/hub"
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
	hub       *hub.Hub // told of every change to the outbox or the audit log
}

func newService(o serviceOptions) (*actions.Service, error) {
	return actions.New(actions.Options{
		Store:      o.store,
		Cloudflare: o.clients.Cloudflare,
		Okta:       o.clients.Okta,
		ReadOnly:   o.readOnly,
		AuditFile:  o.auditFile,
		Log:        o.log,
		// Every dashboard on the hub (one, or every SSH session) reloads
		// its outbox and audit lists; the hub coalesces a burst into one.
		Changed: o.changed(),
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

// changed tells every dashboard on the hub; headless commands have none.
func (o serviceOptions) changed() func() {
	if o.hub == nil {
		return nil
	}
	return func() { o.hub.Publish(hub.ActionsChanged{}) }
}
