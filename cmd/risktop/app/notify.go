package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/notify"
	"github.com/risktop/risktop/ui/termnotify"
)

// NewNotifier builds the notification outbox's channels from notify:
// (issue 16). With neither a webhook nor syslog configured it has no
// channels: Notify drops everything and Run returns at once.
func NewNotifier(cfg *config.Config, st store.Store, log *slog.Logger) (*notify.Notifier, error) {
	n := cfg.Notify
	var chans []notify.Channel
	if w := n.Webhook; w != nil {
		format, _ := notify.ParseFormat(w.Format) // config checked it
		ch, err := notify.NewWebhook(notify.WebhookOptions{URL: w.URL, Format: format, Headers: w.Headers, Timeout: w.Timeout})
		if err != nil {
			return nil, fmt.Errorf("notify.webhook in %s: %w", cfg.Path, err)
		}
		chans = append(chans, ch)
	}
	if s := n.Syslog; s != nil {
		fac, _ := notify.ParseFacility(s.Facility) // config checked it
		o := notify.SyslogOptions{Address: s.Address, Facility: fac}
		if s.CAFile != "" {
			pem, err := os.ReadFile(s.CAFile)
			if err != nil {
				return nil, fmt.Errorf("notify.syslog.ca_file in %s: %w", cfg.Path, err)
			}
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("notify.syslog.ca_file in %s: %s holds no PEM certificate", cfg.Path, s.CAFile)
			}
			o.TLS = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
		}
		ch, err := notify.NewSyslog(o)
		if err != nil {
			return nil, fmt.Errorf("notify.syslog in %s: %w", cfg.Path, err)
		}
		chans = append(chans, ch)
	}
	return notify.New(notify.Options{Store: st, Channels: chans, MinSeverity: n.MinSeverity, Log: log}), nil
}

// RunNotifier starts the notification sender on wg until ctx ends: one
// per process (under serve, one for all its sessions), like the push
// sender. Unlike it, it runs in read-only mode too: read-only keeps
// risktop from acting on vendors, and telling the SIEM is not acting.
// It also forwards each new alert the hub announces into the outbox.
func RunNotifier(ctx context.Context, wg *sync.WaitGroup, n *notify.Notifier, bus *hub.Hub, log *slog.Logger) {
	where := n.Channels()
	if len(where) == 0 {
		return
	}
	wg.Go(func() {
		log.Info("notification sender started", "channels", where)
		n.Run(ctx)
		log.Info("notification sender stopped")
	})
	wg.Go(func() { n.RunAlerts(ctx, bus) })
}

// TerminalKind is the terminal notification each operator starts with.
func TerminalKind(cfg *config.Config) termnotify.Kind {
	k, _ := termnotify.ParseKind(cfg.Notify.Terminal) // config checked it
	return k
}
