package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
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

// PushUserRisk queues a person's risk in the outbox; the sender sends it
// as one user-risk-change SET that reaches Okta once, audited as queued
// then sent. A second push at the same level while it is queued is
// skipped. Refusals are in words; a viewer and read-only are refused.
func TestPushUserRisk(t *testing.T) {
	e := newEnv(t, envOptions{ssf: true})
	if !e.svc.CanPushUserRisk() {
		t.Fatal("cannot push user risk over SSF")
	}
	ctx := context.Background()
	target := UserRiskTarget{Email: "zoe@example.com", Name: "Zoë", Level: model.LevelCritical, Previous: model.LevelLow, Source: "cloudflare"}
	o, err := e.svc.PushUserRisk(ctx, who, target)
	if err != nil || !o.Queued || o.ID == 0 || o.Subject != "zoe@example.com" {
		t.Fatalf("outcome %+v, %v", o, err)
	}
	if n := len(e.sim.Okta.SETs()); n != 0 {
		t.Fatalf("%d SETs before the sender ran", n)
	}
	// Queued again before it is sent: skipped, naming the item.
	again, err := e.svc.PushUserRisk(ctx, who, target)
	if err != nil || again.Queued || again.ID != o.ID || !strings.Contains(again.Reason(), "already queued") {
		t.Fatalf("again %+v, %v", again, err)
	}
	e.startSender(t)
	it := e.wait(t, []int64{o.ID})[0]
	if it.State != model.OutboxSent || it.Attempts != 1 || it.Subject != "zoe@example.com" || it.IP != "" {
		t.Fatalf("item %+v", it)
	}
	sets := e.sim.Okta.SETs()
	if len(sets) != 1 || sets[0].EventType != oktasim.EventUserRiskChange || sets[0].Event["current_level"] != "high" ||
		sets[0].Event["previous_level"] != "low" {
		t.Fatalf("SETs %+v", sets)
	}
	if len(e.sim.Okta.Pushed()) != 0 || e.sim.Okta.EventRequests() != 0 {
		t.Fatal("a person's risk went to the Risk Events API")
	}
	es := e.sameAudit(t)
	got := briefs(es)
	want := []brief{{ActionPushUserRisk, ResultQueued, "zoe@example.com", 0}, {ActionPushUserRisk, ResultSkipped, "zoe@example.com", 0},
		{ActionPushUserRisk, ResultSent, "zoe@example.com", 202}}
	if !slices.Equal(got, want) {
		t.Fatalf("audit %+v, want %+v", got, want)
	}
	if !strings.Contains(es[0].Detail, "Zoë, level high, previous low, as cloudflare rates it") ||
		!strings.Contains(es[2].Detail, "accepted, level high") {
		t.Fatalf("audit %+v", es)
	}
	// No email: refused, audited, nothing queued.
	if _, err := e.svc.PushUserRisk(ctx, who, UserRiskTarget{Level: model.LevelHigh}); err == nil {
		t.Fatal("no email queued")
	}
	if items, _ := e.store.Outbox(ctx, "", 10); len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	// A viewer is refused.
	if _, err := e.svc.Viewer().PushUserRisk(ctx, who, UserRiskTarget{Email: "a@example.com", Level: model.LevelHigh}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("viewer: %v", err)
	}

	// Over the Risk Events API: refused, saying what to configure.
	r := newEnv(t, envOptions{})
	if r.svc.CanPushUserRisk() {
		t.Fatal("risk-events can push user risk")
	}
	_, err = r.svc.PushUserRisk(ctx, who, UserRiskTarget{Email: "a@example.com", Level: model.LevelHigh})
	if err == nil || !strings.Contains(err.Error(), "push: ssf") {
		t.Fatalf("risk-events: %v", err)
	}
	es = r.sameAudit(t)
	if x := es[len(es)-1]; x.Action != ActionPushUserRisk || x.Result != ResultRefused {
		t.Fatalf("audit %+v", x)
	}
	// Read-only: refused.
	ro := newEnv(t, envOptions{ssf: true, readOnly: true})
	if _, err := ro.svc.PushUserRisk(ctx, who, UserRiskTarget{Email: "a@example.com", Level: model.LevelHigh}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only: %v", err)
	}
	if UserRiskLevel(model.LevelNone) != okta.UserRiskNone || UserRiskLevel(model.LevelMedium) != okta.UserRiskMedium {
		t.Fatal("level mapping")
	}
}

// A person's push that Okta answers with a 503 goes back to the queue with
// the sender's back-off, audited as a retry, then reaches Okta once.
func TestPushUserRiskRetried(t *testing.T) {
	e := newEnv(t, envOptions{ssf: true})
	e.faults(t, sim.Okta, simkit.Faults{FailNext: 1})
	e.startSender(t)
	e.idle(t)
	o, err := e.svc.PushUserRisk(context.Background(), who, UserRiskTarget{Email: "zoe@example.com", Level: model.LevelHigh})
	if err != nil {
		t.Fatal(err)
	}
	w := e.nextWait(t)
	if !w.timed || w.d <= firstRetry-time.Millisecond || w.d > firstRetry {
		t.Fatalf("sender sleeps %+v, want the first back-off of %s", w, firstRetry)
	}
	items, _ := e.store.OutboxItems(context.Background(), []int64{o.ID})
	if it := items[0]; it.State != model.OutboxQueued || !strings.Contains(it.LastError, "503") || len(e.sim.Okta.SETs()) != 0 {
		t.Fatalf("item %+v, %d SETs", it, len(e.sim.Okta.SETs()))
	}
	e.clock.Advance(w.d)
	it := e.wait(t, []int64{o.ID})[0]
	if it.State != model.OutboxSent || it.Attempts != 2 {
		t.Fatalf("item %+v", it)
	}
	if sets := e.sim.Okta.SETs(); len(sets) != 1 || sets[0].EventType != oktasim.EventUserRiskChange {
		t.Fatalf("SETs %+v", sets)
	}
	got := briefs(e.sameAudit(t))
	want := []brief{{ActionPushUserRisk, ResultQueued, "zoe@example.com", 0}, {ActionPushUserRisk, ResultRetry, "zoe@example.com", 503},
		{ActionPushUserRisk, ResultSent, "zoe@example.com", 202}}
	if !slices.Equal(got, want) {
		t.Errorf("audit %+v, want %+v", got, want)
	}
}

// A person's item left in the outbox after Okta's push path changed to the
// Risk Events API fails for good with the words that say what to set, and
// addresses queued beside it still go.
func TestPersonItemWithoutSSFFails(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	ids, err := e.store.Enqueue(ctx, []model.OutboxItem{{Created: t0, Subject: "zoe@example.com", Level: model.LevelHigh, Actor: string(who)}})
	if err != nil {
		t.Fatal(err)
	}
	e.startSender(t)
	ids = append(ids, e.queue(t, PushRequest{IP: "203.0.113.9", Level: "HIGH"})...)
	items := e.wait(t, ids)
	if it := items[0]; it.State != model.OutboxFailed || !strings.Contains(it.LastError, "set push: ssf") {
		t.Fatalf("person %+v", it)
	}
	if it := items[1]; it.State != model.OutboxSent {
		t.Fatalf("address %+v", it)
	}
	if len(e.sim.Okta.SETs()) != 0 {
		t.Fatal("a SET was sent")
	}
}
