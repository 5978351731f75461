package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/notify"
	"github.com/risktop/risktop/sources/notify/notifytest"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/termnotify"
)

const notifySources = `
sources:
  cloudflare:
    account_id: 0123456789abcdef0123456789abcdef
    api_token: "${CF}"
`

func parseNotify(t *testing.T, text string, vars map[string]string) *config.Config {
	t.Helper()
	vars["CF"], vars["HOME"] = "cf-token", t.TempDir()
	cfg, _, err := config.Parse("c.yaml", []byte(text+notifySources), config.MapEnv(vars), vendors.All)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// notify: builds a webhook and a syslog channel, and an alert queued
// through the Notifier reaches both receivers (real ones, on loopback).
func TestNotifierFromConfig(t *testing.T) {
	wh := notifytest.NewWebhook(t)
	col := notifytest.NewSyslog(t, "tcp")
	cfg := parseNotify(t, `
notify:
  min_severity: high
  terminal: osc777
  webhook:
    url: "${HOOK}"
    format: slack
  syslog:
    address: `+col.Address()+`
    facility: local4
`, map[string]string{"HOOK": wh.Server.URL + "/services/T0/B0/TOKEN"})
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := NewNotifier(cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	where := strings.Join(n.Channels(), ", ")
	if want := "webhook " + wh.Server.URL + ", syslog " + col.Address(); where != want || strings.Contains(where, "TOKEN") {
		t.Errorf("channels %q, want %q", where, want)
	}
	if TerminalKind(cfg) != termnotify.OSC777 {
		t.Errorf("terminal kind %v", TerminalKind(cfg))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	bus := hub.New()
	RunNotifier(ctx, &wg, n, bus, slog.New(slog.DiscardHandler))
	defer func() { cancel(); wg.Wait() }()
	queued, err := n.Notify(ctx,
		notify.Message{ID: "a1", At: time.Now(), Severity: model.LevelCritical, Title: "burst"},
		notify.Message{ID: "a2", At: time.Now(), Severity: model.LevelMedium, Title: "below min_severity"})
	if err != nil || queued != 2 {
		t.Fatalf("queued %d, %v; want a1 for both channels", queued, err)
	}
	if got := wh.WaitFor(t, 1); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("webhook got %v", got)
	}
	if got := col.WaitFor(t, 1); !slices.Equal(got, []string{"a1"}) || !strings.HasPrefix(col.Raw()[0], "<162>1 ") {
		t.Errorf("syslog got %v %q", got, col.Raw())
	}
	// An alert the detections store and announce reaches both, once.
	stored, err := st.PutAlerts(ctx, time.Now(), []model.Alert{{Rule: "burst", Kind: model.KindFailedBurst,
		Severity: model.LevelHigh, Key: "burst:203.0.113.0/24", Title: "Burst of failed sign-ins from 203.0.113.0/24",
		Subject: "203.0.113.0/24", FirstSeen: time.Now(), LastSeen: time.Now(), Count: 1}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	bus.Publish(hub.AlertsChanged{Seq: stored[0].Seq})
	id := fmt.Sprintf("risktop-alert-%d", stored[0].ID)
	if got := wh.WaitFor(t, 2); !slices.Equal(got, []string{"a1", id}) {
		t.Errorf("webhook got %v", got)
	}
	if got := col.WaitFor(t, 2); !slices.Equal(got, []string{"a1", id}) {
		t.Errorf("syslog got %v", got)
	}
}

func TestNotifierWithoutChannels(t *testing.T) {
	cfg := parseNotify(t, "", map[string]string{})
	st, _ := store.Open(":memory:", store.Options{})
	defer st.Close()
	n, err := NewNotifier(cfg, st, nil)
	if err != nil || len(n.Channels()) != 0 || TerminalKind(cfg) != termnotify.Bell {
		t.Fatalf("%v %v %v", n.Channels(), err, TerminalKind(cfg))
	}
	if q, err := n.Notify(context.Background(), notify.Message{ID: "x", Severity: model.LevelCritical}); q != 0 || err != nil {
		t.Errorf("queued %d, %v with nowhere to send", q, err)
	}
}

func TestNotifierCAFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := parseNotify(t, "notify:\n  syslog:\n    address: tls://127.0.0.1:6514\n    ca_file: "+bad+"\n", map[string]string{})
	st, _ := store.Open(":memory:", store.Options{})
	defer st.Close()
	if _, err := NewNotifier(cfg, st, nil); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("bad ca_file: %v", err)
	}
}
