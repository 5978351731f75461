package actions

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/sim/oktasim"
)

// With push: ssf, queued IP risk leaves through the same outbox, sender,
// budget and audit log, one SET per address.
func TestPushOverSSFThroughTheOutbox(t *testing.T) {
	e := newEnv(t, envOptions{ssf: true, rpm: 2})
	e.startSender(t)
	e.idle(t)
	ids := e.queue(t,
		PushRequest{IP: "203.0.113.9", Level: "high", Message: "credential stuffing"},
		PushRequest{IP: "2001:db8::7", Level: "low"},
		PushRequest{IP: "198.51.100.4", Level: "medium"},
	)
	items := e.wait(t, ids)
	for _, it := range items {
		if it.State != model.OutboxSent {
			t.Fatalf("item %+v", it)
		}
	}
	sets := e.sim.Okta.SETs()
	if len(sets) != 3 || len(e.sim.Okta.Pushed()) != 0 || e.sim.Okta.EventRequests() != 0 {
		t.Fatalf("%d SETs, %d risk events", len(sets), len(e.sim.Okta.Pushed()))
	}
	got := map[string]bool{}
	for _, s := range sets {
		if s.EventType != oktasim.EventIPChange || s.Issuer != oktasim.DefaultSSFIssuer {
			t.Fatalf("SET %+v", s)
		}
		got[s.Event["current_ip_address"].(string)] = true
	}
	if !got["203.0.113.9"] || !got["2001:db8::7"] || !got["198.51.100.4"] {
		t.Fatalf("addresses %v", got)
	}
	// The budget of 2 a minute held: the third waited a minute's share.
	if len(e.waits.All()) == 0 {
		t.Fatalf("no budget wait for 3 SETs at 2 a minute")
	}
	sent := 0
	for _, x := range e.sameAudit(t) {
		if x.Action == ActionPushIP && x.Result == ResultSent && x.VendorStatus == 202 {
			sent++
		}
	}
	if sent != 3 {
		t.Fatalf("%d sent entries", sent)
	}
}

// A refused SET fails the item for good, audited with the refusal in
// words.
func TestSSFRefusalAuditedInWords(t *testing.T) {
	e := newEnv(t, envOptions{ssf: true})
	e.sim.Okta.SetSSFProvidersInactive(true)
	e.startSender(t)
	items := e.wait(t, e.queue(t, PushRequest{IP: "203.0.113.9", Level: "high"}))
	if items[0].State != model.OutboxFailed || !strings.Contains(items[0].LastError, "not allowed to send it") {
		t.Fatalf("item %+v", items[0])
	}
	es := e.sameAudit(t)
	last := es[len(es)-1]
	if last.Result != ResultFailed || last.VendorStatus != 400 || !strings.Contains(last.Detail, "access_denied") ||
		!strings.Contains(last.Detail, "activate the Security Events Provider") {
		t.Fatalf("audit %+v", last)
	}
}

// PushUserRisk is what the drill-down will call: a person's risk as
// user-risk-change, gated, audited, refused in words where it cannot go.
func TestPushUserRisk(t *testing.T) {
	e := newEnv(t, envOptions{ssf: true})
	if !e.svc.CanPushUserRisk() {
		t.Fatal("cannot push user risk over SSF")
	}
	err := e.svc.PushUserRisk(context.Background(), who, UserRiskTarget{Email: "zoe@example.com", Name: "Zoë", Level: model.LevelCritical,
		Previous: model.LevelLow, Source: "cloudflare"})
	if err != nil {
		t.Fatal(err)
	}
	sets := e.sim.Okta.SETs()
	if len(sets) != 1 || sets[0].EventType != oktasim.EventUserRiskChange || sets[0].Event["current_level"] != "high" ||
		sets[0].Event["previous_level"] != "low" {
		t.Fatalf("SETs %+v", sets)
	}
	es := e.sameAudit(t)
	x := es[len(es)-1]
	if x.Action != ActionPushUserRisk || x.Result != ResultOK || x.VendorStatus != 202 || x.Target != "zoe@example.com" ||
		!strings.Contains(x.Detail, "Zoë, level high, previous low, as cloudflare rates it") {
		t.Fatalf("audit %+v", x)
	}
	// No email: refused, audited, nothing sent.
	if err := e.svc.PushUserRisk(context.Background(), who, UserRiskTarget{Level: model.LevelHigh}); err == nil || len(e.sim.Okta.SETs()) != 1 {
		t.Fatalf("no email: %v", err)
	}
	// A viewer is refused.
	if err := e.svc.Viewer().PushUserRisk(context.Background(), who, UserRiskTarget{Email: "a@example.com", Level: model.LevelHigh}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("viewer: %v", err)
	}

	// Over the Risk Events API: refused, saying what to configure.
	r := newEnv(t, envOptions{})
	if r.svc.CanPushUserRisk() {
		t.Fatal("risk-events can push user risk")
	}
	err = r.svc.PushUserRisk(context.Background(), who, UserRiskTarget{Email: "a@example.com", Level: model.LevelHigh})
	if err == nil || !strings.Contains(err.Error(), "push: ssf") {
		t.Fatalf("risk-events: %v", err)
	}
	es = r.sameAudit(t)
	if x := es[len(es)-1]; x.Action != ActionPushUserRisk || x.Result != ResultRefused {
		t.Fatalf("audit %+v", x)
	}
	// Read-only: refused.
	ro := newEnv(t, envOptions{ssf: true, readOnly: true})
	if err := ro.svc.PushUserRisk(context.Background(), who, UserRiskTarget{Email: "a@example.com", Level: model.LevelHigh}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
	if UserRiskLevel(model.LevelNone) != okta.UserRiskNone || UserRiskLevel(model.LevelMedium) != okta.UserRiskMedium {
		t.Fatal("level mapping")
	}
}
