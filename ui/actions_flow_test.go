package ui

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/events"
	"github.com/risktop/risktop/ui/push"
	"github.com/risktop/risktop/ui/words"
)

// withFake turns actions on with fa, as ops@bastion, on the Cloudflare
// simulator.
func withFake(t *testing.T, fa *fakeActions) func(*Deps) {
	if fa.reads == nil {
		fa.reads = simReads(t)
	}
	return func(d *Deps) {
		d.Actions = fa
		d.Actor = "ops@bastion"
	}
}

// TestFlowResetConfirmation: the reset dialog names the person, their
// level and what a reset does; stray keys neither confirm nor reach the
// screen below; enter on Cancel cancels; →/tab then enter resets exactly
// once, and Cloudflare is polled again.
func TestFlowResetConfirmation(t *testing.T) {
	fa := &fakeActions{linked: true}
	f := newFlowWith(t, 0, withFake(t, fa))
	f.keys("3")
	f.see("8 people", "R reset Cloudflare risk")
	f.keys("R")
	f.see("Reset Cloudflare risk", "Ava Chen", "ava.chen@example.com", "Cloudflare risk level now: High",
		"clears their Cloudflare risk score and risk history", "Access policies that use the user risk score",
		"reset reaches Okta too.", "[▸Cancel◂]  [ Reset ]")

	// Stray keys: none confirms, none leaks (no cursor move, copy, pause,
	// quit, refresh or tab switch).
	f.keys("j", "y", " ", "q", "r", "1")
	f.keys("right")
	f.see("[ Cancel ]  [▸Reset◂]")
	f.keys("left")
	f.see("[▸Cancel◂]  [ Reset ]")
	f.keys("enter") // on Cancel
	f.see("enter drill down  R reset Cloudflare risk")
	if calls := fa.callList(); len(calls) != 0 {
		t.Fatalf("calls after cancel: %v", calls)
	}

	f.keys("R")
	f.see("Reset Cloudflare risk")
	f.keys("n") // n cancels too
	f.see("enter drill down  R reset Cloudflare risk")
	f.keys("R")
	f.see("Reset Cloudflare risk")
	f.keys("tab")
	f.see("[ Cancel ]  [▸Reset◂]")
	f.keys("enter")
	f.see("reset requested for Ava Chen (ava.chen@example.com); the row updates on the next poll")

	a := f.final()
	if a.modal != nil || a.tab != tabUsers || a.paused || a.help || a.drill != nil {
		t.Fatalf("after the flow: modal %v, tab %d, paused %v, help %v", a.modal, a.tab, a.paused, a.help)
	}
	if c := selectedRow(screenRows(t, a, " Risk ", "enter opens")); c != 0 {
		t.Fatalf("the stray j moved the cursor to %d", c)
	}
	if calls := fa.callList(); !slices.Equal(calls, []string{"ResetUser cf-0"}) {
		t.Fatalf("calls: %v", calls)
	}
	want := actions.ResetTarget{UserID: "cf-0", Email: "ava.chen@example.com", Name: "Ava Chen", Level: model.LevelHigh}
	if !reflect.DeepEqual(fa.resets, []actions.ResetTarget{want}) || fa.actors[0] != "ops@bastion" {
		t.Fatalf("reset %+v by %q", fa.resets, fa.actors)
	}
	if !slices.Equal(f.ctl.refreshed, []string{"cloudflare"}) {
		t.Fatalf("refreshed %v, want only cloudflare", f.ctl.refreshed)
	}
}

// TestFlowResetFailureShowsTheVendorError: the dialog closes and the
// notice carries the vendor's exact error.
func TestFlowResetFailureShowsTheVendorError(t *testing.T) {
	vendorErr := errors.New("cloudflare: POST zt_risk_scoring/cf-0/reset: 403 Forbidden — the API token lacks 'Zero Trust Write'")
	fa := &fakeActions{failWith: map[string]error{"ResetUser": vendorErr}}
	f := newFlowWith(t, 0, withFake(t, fa))
	f.keys("3")
	f.see("8 people")
	f.keys("R")
	f.see("No active Okta integration: Okta is not told of the reset.")
	f.keys("tab", "enter")
	f.see("reset failed: cloudflare: POST zt_risk_scoring/cf-0/reset: 403 Forbidden", "'Zero Trust Write'")
	a := f.final()
	if a.modal != nil || len(f.ctl.refreshed) != 0 {
		t.Fatalf("modal %v, refreshed %v", a.modal, f.ctl.refreshed)
	}
}

// TestFlowPushFormValidation: each problem appears under its field as it
// is typed and clears when fixed; submit is refused while any remains;
// the valid request is queued exactly as entered.
func TestFlowPushFormValidation(t *testing.T) {
	fa := &fakeActions{}
	f := newFlowWith(t, 400, withFake(t, fa))
	f.keys("2")
	f.see("page 1 of")
	f.keys("p")
	f.see("Push IP risk to Okta", "198.51.100.200", "[LOW]")

	f.keys("ctrl+u")
	f.see("required (an IPv4 or IPv6 address)")
	f.tm.Type("1.2.3")
	f.see(`"1.2.3" is not an IPv4 or IPv6 address`)
	f.tm.Type(".4")
	f.see("an IPv4 or IPv6 address, without a zone") // the problem gave way to the hint
	f.keys("ctrl+u")
	f.tm.Type("fe80::1%eth0")
	f.see(`"fe80::1%eth0" has a zone; send the bare address`)
	f.keys("ctrl+u")
	f.tm.Type("2001:db8::7")
	f.see("an IPv4 or IPv6 address, without a zone")

	f.keys("tab")
	f.tm.Type("high") // lower case picks HIGH
	f.see("[HIGH]")

	f.keys("tab")
	f.tm.Type(strings.Repeat("a", 513))
	f.see("513 characters; at most 512")
	f.keys("backspace")
	f.see("optional: letters, digits, . _ - and spaces")
	f.keys("ctrl+u")
	f.tm.Type("risktop flagged")

	f.keys("tab")
	f.tm.Type("2x")
	f.see(`"2x" is not a duration like 2h or 90m`)
	f.keys("enter") // refused: a problem remains
	f.see("fix the problems shown first")
	if calls := fa.callList(); len(calls) != 0 {
		t.Fatalf("submitted with a problem: %v", calls)
	}
	f.keys("backspace")
	f.tm.Type("h")
	f.see("a duration like 2h or 90m; blank")
	f.keys("enter")
	f.see("queued 2001:db8::7 (HIGH) for Okta; sending")

	a := f.final()
	want := []actions.PushRequest{{IP: "2001:db8::7", Level: "HIGH", Message: "risktop flagged", Expires: 2 * time.Hour}}
	if calls := fa.callList(); !slices.Equal(calls, []string{"QueuePush 1"}) || !reflect.DeepEqual(fa.pushes, [][]actions.PushRequest{want}) {
		t.Fatalf("calls %v, pushes %+v", calls, fa.pushes)
	}
	if a.modal != nil {
		t.Fatal("the form stayed open")
	}
}

// TestFlowIPCommandOpensThePushForm: :ip filters the events and, with
// actions on, opens the push form over them with the address.
func TestFlowIPCommandOpensThePushForm(t *testing.T) {
	fa := &fakeActions{}
	f := newFlowWith(t, 400, withFake(t, fa))
	f.keys(":")
	f.tm.Type("ip 203.0.113.19")
	f.keys("enter")
	f.see("Push IP risk to Okta", "203.0.113.19", "[HIGH]")
	f.keys("esc")
	f.see("enter details")
	a := f.final()
	if a.modal != nil || a.tab != tabEvents || a.screens[tabEvents].(*events.Screen).Filter().IP != "203.0.113.19" {
		t.Fatalf("modal %v, tab %d", a.modal, a.tab)
	}
	if calls := fa.callList(); len(calls) != 0 {
		t.Fatalf("calls %v", calls)
	}
}

// TestFlowBulkPushShowsTheCountFirst: P collects the filter's distinct
// addresses and shows how many before anything is queued, then asks once
// more, then queues them all in one call.
func TestFlowBulkPushShowsTheCountFirst(t *testing.T) {
	fa := &fakeActions{}
	f := newFlowWith(t, 400, withFake(t, fa))
	ips, total, err := f.st.DistinctIPs(context.Background(), store.EventFilter{From: fixtureNow.Add(-24 * time.Hour), MinScore: 90}, push.BulkCap)
	if err != nil || total == 0 {
		t.Fatal(total, err)
	}
	n := words.Plural(total, "address")
	f.keys("2")
	f.see("page 1 of")
	f.keys("/")
	f.tm.Type("score>=90")
	f.keys("enter")
	f.see("score ≥ 90")
	f.keys("P")
	f.see("Push IP risk to Okta: "+n, n+" from the events filter: last 1d · score ≥ 90", "[HIGH]")
	if calls := fa.callList(); len(calls) != 0 {
		t.Fatalf("queued before the count was shown: %v", calls)
	}
	f.keys("tab", "tab", "enter") // to Expires, submit
	f.see("Confirm the bulk push", "Push HIGH risk for "+n+" to Okta?", "[▸Cancel◂]")
	f.keys("enter") // Cancel: back to the form
	f.see("[ Cancel ]  [ Review ]")
	f.keys("enter")
	f.see("Confirm the bulk push")
	f.keys("tab", "enter")
	f.see("queued " + n + " (HIGH) for Okta; sending")

	f.final()
	if calls := fa.callList(); !slices.Equal(calls, []string{"QueuePush " + itoa(total)}) {
		t.Fatalf("calls %v", calls)
	}
	var got []string
	for _, r := range fa.pushes[0] {
		if r.Level != "HIGH" || r.Message != "" || r.Expires != 0 {
			t.Fatalf("request %+v", r)
		}
		got = append(got, r.IP)
	}
	if !slices.Equal(got, ips) {
		t.Fatalf("pushed %v, want %v", got, ips)
	}
}

// TestFlowBehaviorsDiff: space and ← change a behavior; s shows the diff;
// Save sends exactly those changes; a failed save keeps them on screen
// with the error, and a second save goes through.
func TestFlowBehaviorsDiff(t *testing.T) {
	fa := &fakeActions{failWith: map[string]error{
		"SaveBehaviors": errors.New("cloudflare: PUT zt_risk_scoring/behaviors: 403 Forbidden — the API token lacks 'Zero Trust Write'")}}
	f := newFlowWith(t, 0, withFake(t, fa))
	f.keys("4")
	f.see("8 of 8 enabled")
	f.keys("j", "j", "j", "j") // imp_travel
	f.keys(" ", "h")           // disable; high → medium
	f.see("1 unsaved change")
	f.keys("s")
	f.see("Save behavior changes", "Save 1 change to Cloudflare's risk behaviors?",
		"imp_travel  enabled yes → no · level high → medium", "[▸Cancel◂]  [ Save ]")
	f.keys("tab", "enter")
	// The notice says so (TestBehaviorsFailedSaveKeepsTheChanges checks
	// the screen keeps them, with the error).
	f.see("not saved: cloudflare: PUT zt_risk_scoring/behaviors: 403 Forbidden")

	fa.mu.Lock()
	fa.failWith = nil
	fa.mu.Unlock()
	f.keys("s")
	f.see("imp_travel  enabled yes → no · level high → medium")
	f.keys("tab", "enter")
	f.see("saved 1 behavior change")

	a := f.final()
	off := false
	want := map[string]actions.BehaviorChange{"imp_travel": {Enabled: &off, RiskLevel: "medium"}}
	if len(fa.saved) != 2 || !reflect.DeepEqual(fa.saved[0], want) || !reflect.DeepEqual(fa.saved[1], want) {
		t.Fatalf("saved %v", fa.saved)
	}
	// Nothing pending (no "unsaved change", no * mark) and no error.
	if v := a.View(); strings.Contains(v, "unsaved change") || strings.Contains(v, "* Impossible") || strings.Contains(v, "not saved:") {
		t.Fatalf("after the save:\n%s", v)
	}
}

// selectedIntegration is the integration the Integrations tab selects
// first: the first the actions service reads.
func selectedIntegration(t *testing.T, fa *fakeActions) actions.Integration {
	t.Helper()
	ins, err := fa.Integrations(context.Background())
	if err != nil || len(ins) == 0 {
		t.Fatalf("integrations %v, %v", ins, err)
	}
	return ins[0]
}

// TestFlowIntegrationDelete: d names the tenant and says Cloudflare stops
// sending risk to it; only the Delete button deletes.
func TestFlowIntegrationDelete(t *testing.T) {
	fa := &fakeActions{}
	f := newFlowWith(t, 0, withFake(t, fa))
	f.keys("5")
	f.see("1 integration", "/.well-known/sse-configuration/")
	f.keys("d")
	f.see("Delete an integration", "Delete the Okta integration with https://acme.okta.com?", "Cloudflare stops sending risk scores to it")
	f.keys("y", "d", "enter") // stray keys, then enter on Cancel
	f.see("n new integration")
	f.keys("d")
	f.see("Delete an integration")
	f.keys("right", "enter")
	f.see("deleted the integration with https://acme.okta.com")
	f.final()
	in := selectedIntegration(t, fa)
	if calls := fa.callList(); !slices.Equal(calls, []string{"DeleteIntegration " + in.ID}) {
		t.Fatalf("calls %v (integration %q)", calls, in.ID)
	}
}

// TestFlowOutboxRetryAndDrop: R retries the selected queued or failed
// push; d drops one after a confirmation; ←/→ move between the lists.
func TestFlowOutboxRetryAndDrop(t *testing.T) {
	fa := &fakeActions{}
	f := newFlowWith(t, 0, withFake(t, fa))
	ctx := context.Background()
	ids, err := f.st.Enqueue(ctx, []model.OutboxItem{
		{Created: fixtureNow.Add(-time.Hour), IP: "203.0.113.9", Level: model.LevelHigh, Actor: "ops"},
		{Created: fixtureNow.Add(-time.Minute), IP: "198.51.100.4", Level: model.LevelMedium, Actor: "ops"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.ClaimDue(ctx, fixtureNow.Add(-30*time.Minute), 1); err != nil { // the first only
		t.Fatal(err)
	}
	if err := f.st.MarkFailed(ctx, ids[:1], "okta: 400 E0000001 Api validation failed: subjects", time.Time{}); err != nil {
		t.Fatal(err)
	}
	f.keys("6")
	f.see("1 queued · 0 sent · 1 failed", "okta: 400 E0000001")
	f.keys("R") // the newest: queued
	f.see("push of 198.51.100.4 queued again")
	f.keys("j", "d") // the failed one
	f.see("Drop a push", "Drop the push of 203.0.113.9 (High)?", "last error: okta: 400 E0000001")
	f.keys("tab", "enter")
	f.see("dropped the push of 203.0.113.9")
	f.keys("right")
	f.see("▸ Audit log")
	f.keys("R")
	f.see("retry and drop work on the outbox")
	a := f.final()
	if calls := fa.callList(); !slices.Equal(calls, []string{"RetryPush " + itoa(int(ids[1])), "DropPush " + itoa(int(ids[0]))}) {
		t.Fatalf("calls %v", calls)
	}
	if !strings.Contains(a.View(), "▸ Audit log") {
		t.Fatal("→ did not focus the audit log")
	}
}

// TestFlowReadOnlyRefuses: with a read-only service the action keys say
// so and call nothing.
func TestFlowReadOnlyRefuses(t *testing.T) {
	fa := &fakeActions{readOnly: true}
	f := newFlowWith(t, 400, withFake(t, fa))
	f.keys("3")
	f.see("8 people")
	f.keys("R")
	f.see(actions.ErrReadOnly.Error())
	f.keys("2", "p", "P", "4", "s", "5", "d", "6", "R")
	f.see("▸ Outbox")
	a := f.final()
	if calls := fa.callList(); len(calls) != 0 || a.modal != nil {
		t.Fatalf("calls %v, modal %v", calls, a.modal)
	}
}
