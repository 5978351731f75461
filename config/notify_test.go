package config

import (
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/notify"
	"github.com/risktop/risktop/sources/vendors"
)

const cloudflareOnly = `
sources:
  cloudflare:
    account_id: 0123456789abcdef0123456789abcdef
    api_token: "${CLOUDFLARE_API_TOKEN}"
`

func TestNotifyDefaults(t *testing.T) {
	cfg, _ := mustParse(t, cloudflareOnly, testEnv(nil))
	n := cfg.Notify
	if n.MinSeverity != model.LevelHigh || n.Terminal != "bell" || n.Webhook != nil || n.Syslog != nil {
		t.Errorf("notify without a section: %+v", n)
	}
	if strings.Contains(cfg.String(), "notify") {
		t.Errorf("the summary mentions the default notify: %s", cfg.String())
	}
}

func TestNotifyParses(t *testing.T) {
	vars := withVars(map[string]string{"HOOK": "https://hooks.slack.com/services/T0/B0/" + marker + "hook"})
	cfg, _ := mustParse(t, `
notify:
  min_severity: Medium
  terminal: OSC9
  webhook:
    url: "${HOOK}"
    format: slack
    timeout: 3s
    headers:
      X-Team: "${CLOUDFLARE_API_TOKEN}"
  syslog:
    address: tcp://127.0.0.1:6514
`+cloudflareOnly, testEnv(vars))
	n := cfg.Notify
	if n.MinSeverity != model.LevelMedium || n.Terminal != "osc9" {
		t.Errorf("notify %+v", n)
	}
	w := n.Webhook
	if w == nil || w.URL.Reveal() != vars["HOOK"] || w.Where != "https://hooks.slack.com" || w.Format != "slack" ||
		w.Timeout != 3*time.Second || w.Headers["x-team"].Reveal() != testVars["CLOUDFLARE_API_TOKEN"] {
		t.Fatalf("webhook %+v", w)
	}
	if s := n.Syslog; s == nil || s.Address != "tcp://127.0.0.1:6514" || s.Facility != "local0" {
		t.Errorf("syslog %+v", s)
	}
	assertNoSecret(t, "the summary", cfg.String())
}

// A webhook URL from ${VAR} that is wrong is reported without its value.
func TestNotifyBadURLFromVarIsNotShown(t *testing.T) {
	vars := withVars(map[string]string{"HOOK": "ftp://hooks.example.com/" + marker + "hook"})
	_, _, err := Parse("c.yaml", []byte("notify:\n  webhook:\n    url: \"${HOOK}\"\n"+cloudflareOnly), testEnv(vars), vendors.All)
	if err == nil {
		t.Fatal("an ftp:// webhook was accepted")
	}
	if want := `c.yaml:3:10: notify.webhook.url: must start with https://`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
	assertNoSecret(t, "the error", err.Error())
}

// The names config takes are the ones the notify package knows.
func TestSyslogFacilitiesAgree(t *testing.T) {
	for _, name := range SyslogFacilities {
		if _, ok := notify.ParseFacility(name); !ok {
			t.Errorf("config takes facility %s, notify does not", name)
		}
	}
	if len(notify.FacilityNames()) != len(SyslogFacilities) {
		t.Errorf("notify knows %d facilities, config %d", len(notify.FacilityNames()), len(SyslogFacilities))
	}
	f, _ := notify.ParseFacility(DefaultSyslogFacility)
	if f != notify.DefaultFacility {
		t.Errorf("default facility: config %s, notify %d", DefaultSyslogFacility, notify.DefaultFacility)
	}
	for _, name := range webhookFormats {
		if _, ok := notify.ParseFormat(name); !ok {
			t.Errorf("config takes format %s, notify does not", name)
		}
	}
}
