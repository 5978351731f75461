package notify_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/notify"
	"github.com/risktop/risktop/sources/notify/notifytest"
	"github.com/risktop/risktop/sources/secret"
)

func alertFinding(key string, sev model.Level, backfilled bool) model.Alert {
	rng := strings.TrimPrefix(key, "burst:")
	a := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: sev, Key: key,
		Title: "Burst of failed sign-ins from " + rng, Subject: rng, FirstSeen: t0.Add(-3 * time.Minute), LastSeen: t0,
		Count: 1, Backfilled: backfilled,
		Incident: &model.Incident{Range: rng, Addresses: 2, People: 2, Failures: 30, From: t0.Add(-3 * time.Minute), To: t0},
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	a.Evidence.AddAddress("203.0.113.7")
	a.Evidence.AddPerson("zoe@example.com")
	return a
}

// A new live alert at or above min_severity is sent once: not again when
// it is updated, nor by a restarted notifier on the same store; alerts
// below min_severity and back-filled ones are never sent.
func TestForwardAlertsOncePerAlert(t *testing.T) {
	hook := notifytest.NewWebhook(t)
	ch, err := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(hook.Server.URL), Format: notify.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, ch)
	ctx := context.Background()
	put := func(as ...model.Alert) []model.Alert {
		t.Helper()
		got, err := r.st.PutAlerts(ctx, r.clock.Now(), as, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	forward := func(n *notify.Notifier) int {
		t.Helper()
		q, err := n.ForwardAlerts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	stored := put(alertFinding("burst:203.0.113.0/24", model.LevelHigh, false),
		alertFinding("burst:198.51.100.0/24", model.LevelMedium, false),
		alertFinding("burst:192.0.2.0/24", model.LevelCritical, true))
	if q := forward(r.n); q != 1 {
		t.Fatalf("queued %d, want the high alert only", q)
	}
	want := "risktop-alert-" + itoa(stored[0].ID)
	if got := hook.WaitFor(t, 1); !slices.Equal(got, []string{want}) {
		t.Fatalf("webhook got %v, want %v", got, want)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(hook.Raw()[0]), &body); err != nil {
		t.Fatal(err)
	}
	if body["text"] != "203.0.113.0/24: 2 addresses, 2 people, 30 failures in 3 min" ||
		body["response"] != "push the addresses to Okta at High" {
		t.Errorf("body %v", body)
	}
	// The burst goes on: the same alert, updated.
	more := alertFinding("burst:203.0.113.0/24", model.LevelHigh, false)
	more.Count = 2
	put(more)
	if q := forward(r.n); q != 0 {
		t.Fatalf("an update queued %d", q)
	}
	// A restart: a new notifier on the same store sends nothing again.
	again := notify.New(notify.Options{Store: r.st, Channels: []notify.Channel{ch}, Now: r.clock.Now})
	if q := forward(again); q != 0 {
		t.Fatalf("a restart queued %d", q)
	}
	// A new alert after all that is sent.
	put(alertFinding("burst:2001:db8:beef::/48", model.LevelCritical, false))
	if q := forward(again); q != 1 {
		t.Fatalf("queued %d for a new alert", q)
	}
	r.n.Wake()
	if got := hook.WaitFor(t, 2); len(got) != 2 || got[0] != want {
		t.Fatalf("webhook got %v", got)
	}
}

// The first forward after notify: is configured sends the recent alerts,
// not a store's whole history.
func TestForwardAlertsFirstLooksBackAnHour(t *testing.T) {
	hook := notifytest.NewWebhook(t)
	ch, err := notify.NewWebhook(notify.WebhookOptions{URL: secret.New(hook.Server.URL), Format: notify.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, ch)
	ctx := context.Background()
	if _, err := r.st.PutAlerts(ctx, r.clock.Now().Add(-2*time.Hour), []model.Alert{alertFinding("burst:198.51.100.0/24", model.LevelHigh, false)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	recent, err := r.st.PutAlerts(ctx, r.clock.Now().Add(-10*time.Minute), []model.Alert{alertFinding("burst:203.0.113.0/24", model.LevelHigh, false)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := r.n.ForwardAlerts(ctx); q != 1 || err != nil {
		t.Fatalf("queued %d, %v; want the recent alert only", q, err)
	}
	if got := hook.WaitFor(t, 1); !slices.Equal(got, []string{"risktop-alert-" + itoa(recent[0].ID)}) {
		t.Fatalf("webhook got %v", got)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
