package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/form"
	"github.com/risktop/risktop/ui/push"
)

// bulkIPs are six addresses: two sent at HIGH an hour ago (live), one
// sent at LOW, one queued at MEDIUM, two never pushed.
var bulkIPs = []string{"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5", "203.0.113.6"}

// seedOutbox puts bulkIPs' pushes in a's store.
func seedOutbox(t *testing.T, a *App) {
	t.Helper()
	ctx := context.Background()
	st := a.deps.Store
	put := func(ip string, lv model.Level) []int64 {
		ids, err := st.Enqueue(ctx, []model.OutboxItem{{Created: fixtureNow.Add(-2 * time.Hour), IP: ip, Level: lv, Actor: "ops@bastion"}})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, ip := range bulkIPs[:2] {
		if err := st.MarkSent(ctx, put(ip, model.LevelHigh), fixtureNow.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MarkSent(ctx, put(bulkIPs[2], model.LevelLow), fixtureNow.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	put(bulkIPs[3], model.LevelMedium)
}

// moreData is what arrives while a dialog is open: new events (some at
// the bulk addresses), new people re-sorting the lists, an address of the
// set sent meanwhile, and the outbox changed.
func moreData(t *testing.T, a *App, round int) {
	t.Helper()
	ctx := context.Background()
	evs := fixtureEvents(40)
	for i := range evs {
		evs[i].ID = fmt.Sprintf("late-%d-%d", round, i)
		evs[i].IP = bulkIPs[i%len(bulkIPs)]
		evs[i].Score = 99
	}
	if _, err := a.deps.Store.PutEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	ids, err := a.deps.Store.Enqueue(ctx, []model.OutboxItem{{Created: fixtureNow, IP: bulkIPs[5], Level: model.LevelHigh, Actor: "someone-else"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.deps.Store.MarkSent(ctx, ids, fixtureNow); err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{backfill(round*10, 10, model.LevelCritical), hub.EventsMsg{Vendor: "onelogin", Inserted: len(evs), Newest: fixtureNow},
		hub.ActionsChanged{}})
}

func formOpen(t *testing.T, a *App) *form.Form {
	t.Helper()
	f, ok := a.modal.(*form.Form)
	if !ok {
		t.Fatalf("no form open:\n%s", a.View())
	}
	return f
}

func dialogOpen(t *testing.T, a *App) *dialog.Dialog {
	t.Helper()
	d, ok := a.modal.(*dialog.Dialog)
	if !ok {
		t.Fatalf("no dialog open:\n%s", a.View())
	}
	return d
}

func mustSee(t *testing.T, a *App, want ...string) {
	t.Helper()
	v := a.View()
	for _, w := range want {
		if !strings.Contains(v, w) {
			t.Fatalf("no %q on screen:\n%s", w, v)
		}
	}
}

// TestBulkPushSetIsFrozenAndSentOnesSkipped: the form and the
// confirmation show the same count and list, fixed when the form opened,
// whatever arrives meanwhile; addresses already sent or queued at the
// chosen level or higher are marked and skipped, unless re-sent; the
// confirmation names the filter the set came from; the push is exactly
// the set shown.
func TestBulkPushSetIsFrozenAndSentOnesSkipped(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 48, fa)
	seedOutbox(t, a)
	drive(a, answered(a, push.OpenBulkFor(a.c, bulkIPs, ":ip 203.0.113.0/29")))
	formOpen(t, a)
	count := "6 addresses: 4 to push · 2 already sent or queued at HIGH or higher, skipped"
	mustSee(t, a, "Push IP risk to Okta: 6 addresses", "6 addresses from the events filter: :ip 203.0.113.0/29", count,
		"203.0.113.1     ✓ sent HIGH #1, until Nov 22 13:30 UTC · skipped", "Already sent")
	if v := a.View(); !strings.Contains(v, "203.0.113.3 ") || strings.Contains(v, "203.0.113.3     ✓") {
		t.Fatalf("the address sent at LOW is marked at HIGH:\n%s", v)
	}

	moreData(t, a, 1) // 203.0.113.6 is sent meanwhile: the set does not change
	mustSee(t, a, count)
	keysOf(a, "enter", "enter", "enter", "enter") // level → already sent → message → expires → submit
	d := dialogOpen(t, a)
	mustSee(t, a, "Push HIGH risk for 4 addresses to Okta?", "From the events filter: :ip 203.0.113.0/29", count[:60],
		"203.0.113.2     ✓ sent HIGH #2, until Nov 22 13:30 UTC · skipped", "[ Push 4 addresses ]")
	if !slices.Equal(d.List, formList(formOpenPrev(t, d))) {
		t.Fatalf("the confirmation lists\n%v\nthe form\n%v", d.List, formList(formOpenPrev(t, d)))
	}
	moreData(t, a, 2)
	mustSee(t, a, "Push HIGH risk for 4 addresses to Okta?", count[:60])
	keysOf(a, "tab", "enter")
	if len(fa.pushes) != 1 {
		t.Fatalf("pushes %v", fa.callList())
	}
	var got []string
	for _, r := range fa.pushes[0] {
		if r.Force || r.Level != "HIGH" {
			t.Fatalf("request %+v", r)
		}
		got = append(got, r.IP)
	}
	if want := []string{"203.0.113.3", "203.0.113.4", "203.0.113.5", "203.0.113.6"}; !slices.Equal(got, want) {
		t.Fatalf("pushed %v, want %v", got, want)
	}
}

// formOpenPrev is the form a confirmation returns to.
func formOpenPrev(t *testing.T, d *dialog.Dialog) *form.Form {
	f, ok := d.Prev.(*form.Form)
	if !ok {
		t.Fatal("the confirmation does not return to the form")
	}
	return f
}

// formList is the form's address list, as drawn.
func formList(f *form.Form) []string { return f.ListLines("addresses") }

// TestBulkPushResend: "re-send" pushes every address, forcing those
// already sent; at LOW every address with a live push is covered.
func TestBulkPushResend(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 48, fa)
	seedOutbox(t, a)
	drive(a, answered(a, push.OpenBulkFor(a.c, bulkIPs, "score ≥ 90")))
	f := formOpen(t, a)
	drive(a, press("l")) // LOW
	mustSee(t, a, "6 addresses: 2 to push · 4 already sent or queued at LOW or higher, skipped",
		"203.0.113.3     ✓ sent LOW #3", "203.0.113.4     ✓ queued MEDIUM #4")
	keysOf(a, "tab", "right") // re-send
	if f.Value("resend") != "re-send" {
		t.Fatalf("resend = %q", f.Value("resend"))
	}
	mustSee(t, a, "6 addresses: 6 to push, of which 4 already sent or queued at LOW or higher,", "· sent again")
	keysOf(a, "enter", "enter", "enter")
	dialogOpen(t, a)
	mustSee(t, a, "Push LOW risk for 6 addresses to Okta?")
	keysOf(a, "tab", "enter")
	forced := map[string]bool{}
	for _, r := range fa.pushes[0] {
		forced[r.IP] = r.Force
	}
	want := map[string]bool{bulkIPs[0]: true, bulkIPs[1]: true, bulkIPs[2]: true, bulkIPs[3]: true, bulkIPs[4]: false, bulkIPs[5]: false}
	if fmt.Sprint(forced) != fmt.Sprint(want) {
		t.Fatalf("forced %v, want %v", forced, want)
	}
}

// TestBulkPushAllSentRefusesToSkipEverything: when every address is
// covered, the form says re-send is the only way, and submits nothing.
func TestBulkPushAllSentRefusesToSkipEverything(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 48, fa)
	seedOutbox(t, a)
	drive(a, answered(a, push.OpenBulkFor(a.c, bulkIPs[:2], "score ≥ 90")))
	formOpen(t, a)
	keysOf(a, "enter", "enter", "enter", "enter")
	mustSee(t, a, "every address is already sent or queued at HIGH or higher")
	if _, ok := a.modal.(*form.Form); !ok || len(fa.callList()) != 0 {
		t.Fatalf("modal %T, calls %v", a.modal, fa.callList())
	}
}

// TestBulkPushFromEventsIsFrozen: the Events filter's set, collected at
// P, stays the set while more matching events arrive: the form and the
// confirmation say the same number (before, the confirmation counted the
// live filter: 41 then 57), and that set is pushed.
func TestBulkPushFromEventsIsFrozen(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 48, fa)
	keysOf(a, "2", "/")
	for _, r := range "score>=90" {
		keysOf(a, string(r))
	}
	keysOf(a, "enter", "P")
	f := formOpen(t, a)
	want := slices.Clone(f.ListLines("addresses"))
	n := len(want)
	title := fmt.Sprintf("Push IP risk to Okta: %d addresses", n)
	mustSee(t, a, title)
	moreData(t, a, 1) // 6 new addresses at score 99
	mustSee(t, a, title)
	keysOf(a, "enter", "enter", "enter")
	mustSee(t, a, fmt.Sprintf("Push HIGH risk for %d addresses to Okta?", n))
	moreData(t, a, 2)
	keysOf(a, "tab", "enter")
	var got []string
	for _, r := range fa.pushes[0] {
		got = append(got, r.IP)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pushed %v\nthe form showed %v", got, want)
	}
}

// TestGoldenBulkPush draws the bulk form with sent addresses marked and
// its confirmation, at 80×24 and 160×48 (update with go test ./ui -update).
func TestGoldenBulkPush(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		a := actionApp(t, sz.w, sz.h, &fakeActions{})
		seedOutbox(t, a)
		var ips []string
		for i := range 30 {
			ips = append(ips, fmt.Sprintf("198.51.100.%d", i+1))
		}
		drive(a, answered(a, push.OpenBulkFor(a.c, append(slices.Clone(bulkIPs), ips...), "last 1d · score ≥ 90")))
		t.Run("form-"+itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
			golden.RequireEqual(t, []byte(a.View()))
		})
		keysOf(a, "enter", "enter", "enter", "enter")
		t.Run("confirm-"+itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}
