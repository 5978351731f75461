package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
	"github.com/risktop/risktop/ui/alerts"
)

// TestGoldenAlerts draws the Alerts tab (the list, an alert's detail, the
// empty state) and the Users list with the risen marked, at 80×24 and
// 160×48, without colour and in true colour.
func TestGoldenAlerts(t *testing.T) {
	screens := []struct {
		name   string
		alerts bool
		keys   []string
	}{
		{"list", true, []string{"7"}},
		{"list-all", true, []string{"7", "f", "f", "f"}},
		{"detail", true, []string{"7", "enter"}},
		{"empty", false, []string{"7"}},
		{"users-risen", true, []string{"3"}},
		{"list-acting", true, []string{"7"}},
		{"detail-acting", true, []string{"7", "enter"}},
		{"ack-dialog", true, []string{"7", "a"}},
	}
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		for _, color := range []bool{false, true} {
			for _, sc := range screens {
				name := sc.name + "-" + itoa(sz.w) + "x" + itoa(sz.h)
				th := asciiTheme()
				if color {
					name, th = name+"-color", trueColorTheme()
				}
				t.Run(name, func(t *testing.T) {
					a, _ := newAlertsApp(t, sz.w, sz.h, th, sc.alerts)
					if strings.HasSuffix(sc.name, "-acting") || strings.HasSuffix(sc.name, "-dialog") {
						setDeps(a, withFake(t, &fakeActions{linked: true}))
					}
					keysOf(a, sc.keys...)
					checkScreen(t, name, a.View(), sz.w, sz.h)
					golden.RequireEqualEscape(t, []byte(a.View()), color)
				})
			}
		}
	}
}

// alertsScreen is the Alerts tab's screen.
func alertsScreen(a *App) *alerts.Screen { return a.screens[tabAlerts].(*alerts.Screen) }

// putAlert stores a finding now and tells the dashboard, as the engine
// does.
func putAlert(t *testing.T, a *App, f model.Alert) model.Alert {
	t.Helper()
	ctx := context.Background()
	got, err := a.deps.Store.PutAlerts(ctx, fixtureNow, []model.Alert{f}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.AlertsChanged{Seq: got[0].Seq}})
	return got[0]
}

func scoreAlert(who string, sev model.Level) model.Alert {
	a := model.Alert{Rule: "score", Kind: model.KindHighScore, Severity: sev, Key: "score:" + who, Title: "Score 97 for " + who,
		Subject: who, FirstSeen: fixtureNow.Add(-time.Minute), LastSeen: fixtureNow.Add(-time.Minute), Count: 1}
	a.Evidence.AddPerson(who)
	return a
}

// TestAlertsReloadKeepsTheCursor: an alert arriving (AlertsChanged)
// reloads the list, and the cursor stays on the alert it was on, saying
// it moved.
func TestAlertsReloadKeepsTheCursor(t *testing.T) {
	a, as := newAlertsApp(t, 120, 30, asciiTheme(), true)
	keysOf(a, "7", "f", "f", "f", "j", "j") // all; the rise (third by last seen)
	rise := as[2]
	mustSee(t, a, "Alerts: all", ">Critical Ava Chen rose to Critical in CASB")
	putAlert(t, a, scoreAlert("ben.okafor@example.com", model.LevelHigh))
	mustSee(t, a, "Score 97 for ben.okafor@example.com", ">Critical Ava Chen rose to Critical in CASB",
		fmt.Sprintf("alert #%d moved ↓ 1 as alerts changed", rise.ID))
	// Paused, alerts still arrive: a new one is never held back.
	keysOf(a, " ")
	putAlert(t, a, scoreAlert("priya.iyer@example.com", model.LevelHigh))
	mustSee(t, a, "Score 97 for priya.iyer@example.com", ">Critical Ava Chen rose to Critical in CASB", "moved ↓ 2")
}

// TestAlertsPageByKeyset: the list reads a page, and the next one when
// the cursor reaches the last row read.
func TestAlertsPageByKeyset(t *testing.T) {
	a, _ := newAlertsApp(t, 120, 30, asciiTheme(), false)
	var fs []model.Alert
	for i := 0; i < 130; i++ {
		fs = append(fs, scoreAlert(fmt.Sprintf("p%03d@example.com", i), model.LevelMedium))
	}
	if _, err := a.deps.Store.PutAlerts(context.Background(), fixtureNow, fs, nil, nil); err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.AlertsChanged{Seq: 130}})
	keysOf(a, "7")
	mustSee(t, a, "Score 97 for p129@example.com", "more below")
	for i := 0; i < 99; i++ {
		keysOf(a, "j")
	}
	mustSee(t, a, ">Medium   Score 97 for p030@example.com")
	keysOf(a, "G")
	mustSee(t, a, ">Medium   Score 97 for p000@example.com")
	if v := a.View(); strings.Contains(v, "more below") {
		t.Fatalf("every alert is read, yet the list says more:\n%s", v)
	}
}

// realAlertsApp is the fixture with its alerts and the real actions
// service (no vendor) on the same store, acting as ops@bastion.
func realAlertsApp(t *testing.T) (*App, []model.Alert, *actions.Service) {
	t.Helper()
	a, as := newAlertsApp(t, 120, 40, asciiTheme(), true)
	svc, err := actions.New(actions.Options{Store: a.deps.Store, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	setDeps(a, func(d *Deps) { d.Actor = "ops@bastion" })
	drive(a, Attach{Actions: svc})
	return a, as, svc
}

// lastAudit is the newest audit entry.
func lastAudit(t *testing.T, st store.Store) model.AuditEntry {
	t.Helper()
	es, err := st.Audit(context.Background(), 0, 1)
	if err != nil || len(es) == 0 {
		t.Fatalf("audit: %v %v", es, err)
	}
	return es[0]
}

// TestAlertAckAndResolveAreAuditedWithTheActor: a and x each ask, naming
// the alert taken at the key press (an alert arriving meanwhile changes
// nothing), and go through the actions service: the alert's state and
// the audit log say who.
func TestAlertAckAndResolveAreAuditedWithTheActor(t *testing.T) {
	a, as, _ := realAlertsApp(t)
	burst := as[3]
	ctx := context.Background()
	keysOf(a, "7", "a")
	d := dialogOpen(t, a)
	mustSee(t, a, "Acknowledge an alert", fmt.Sprintf("Alert #%d", burst.ID), "Burst of failed sign-ins from 203.0.113.0/24")
	// A newer alert arrives: the list's cursor (pinned to the top) goes to
	// it, the dialog still names the burst and acknowledges it.
	newer := putAlert(t, a, scoreAlert("ben.okafor@example.com", model.LevelCritical))
	if a.modal != d {
		t.Fatal("the dialog closed when an alert arrived")
	}
	mustSee(t, a, fmt.Sprintf("Alert #%d", burst.ID))
	keysOf(a, "tab", "enter")
	mustSee(t, a, fmt.Sprintf("acknowledged alert #%d", burst.ID))
	got, err := a.deps.Store.Alert(ctx, burst.ID)
	if err != nil || got.State != model.AlertAcknowledged || got.AckedBy != "ops@bastion" {
		t.Fatalf("burst after a: %+v %v", got, err)
	}
	if n, _ := a.deps.Store.Alert(ctx, newer.ID); n.State != model.AlertOpen {
		t.Fatalf("the alert that arrived meanwhile was changed: %+v", n)
	}
	if e := lastAudit(t, a.deps.Store); e.Action != actions.ActionAckAlert || e.Actor != "ops@bastion" || e.Target != burst.Key || e.Result != actions.ResultOK {
		t.Fatalf("audit: %+v", e)
	}
	// Acknowledged, it leaves the open list; x on the acknowledged list
	// resolves it.
	if v := a.View(); strings.Contains(v, ">High     Burst") {
		t.Fatalf("the acknowledged burst is still listed as open:\n%s", v)
	}
	keysOf(a, "f")
	mustSee(t, a, "Alerts: acknowledged", "Ack by ops@bastion")
	keysOf(a, "j") // the second acknowledged alert: the dialog must name the one selected
	sel, _ := selectedAlert(a)
	keysOf(a, "x")
	mustSee(t, a, "Resolve an alert", fmt.Sprintf("Alert #%d", sel.ID))
	keysOf(a, "tab", "enter")
	got, _ = a.deps.Store.Alert(ctx, sel.ID)
	if got.State != model.AlertResolved || got.ResolvedBy != "ops@bastion" {
		t.Fatalf("after x: %+v", got)
	}
	if e := lastAudit(t, a.deps.Store); e.Action != actions.ActionResolveAlert || e.Actor != "ops@bastion" || e.Target != sel.Key {
		t.Fatalf("audit: %+v", e)
	}
	// a on a resolved alert says why not, and asks nothing.
	keysOf(a, "f")
	mustSee(t, a, "Alerts: resolved")
	keysOf(a, "a")
	if a.modal != nil {
		t.Fatal("a opened a dialog on a resolved alert")
	}
	mustSee(t, a, "only open alerts are acknowledged")
}

// selectedAlert is the alert under the Alerts tab's cursor.
func selectedAlert(a *App) (model.Alert, bool) {
	return alertsScreen(a).Selected()
}

// TestAlertKeysRefusedReadOnlyAndForViewers: a, x and P say the usual
// words and open nothing; the viewer's attempt is audited.
func TestAlertKeysRefusedReadOnlyAndForViewers(t *testing.T) {
	a, _, svc := realAlertsApp(t)
	keysOf(a, "7")
	mustSee(t, a, "a acknowledge")
	setDeps(a, func(d *Deps) { d.ReadOnly = true })
	for _, k := range []string{"a", "x", "P"} {
		keysOf(a, k)
		if a.modal != nil {
			t.Fatalf("%s opened %T read-only", k, a.modal)
		}
		mustSee(t, a, actions.ErrReadOnly.Error())
	}
	if v := a.View(); strings.Contains(v, "a acknowledge") {
		t.Fatalf("read-only, the footer offers a:\n%s", v)
	}
	setDeps(a, func(d *Deps) { d.ReadOnly = false; d.Actions = svc.Viewer() })
	keysOf(a, "a")
	if a.modal != nil {
		t.Fatal("a opened a dialog for a viewer")
	}
	mustSee(t, a, actions.ErrViewOnly.Error())
}

// TestAlertResponsePushRangeIsFrozen: P on the burst opens the bulk push
// of its addresses, named "alert #N: title", at the response's level;
// the alert growing meanwhile changes neither the form nor what is
// pushed.
func TestAlertResponsePushRangeIsFrozen(t *testing.T) {
	fa := &fakeActions{}
	a, as := newAlertsApp(t, 120, 48, asciiTheme(), true)
	setDeps(a, withFake(t, fa))
	burst := as[3]
	keysOf(a, "7", "P")
	formOpen(t, a)
	describe := fmt.Sprintf("alert #%d: Burst of failed sign-ins from 203.0.113.0/24", burst.ID)
	mustSee(t, a, "Push IP risk to Okta: 6 addresses", "6 addresses from "+describe[:40], "203.0.113.15", "[HIGH]")

	grown := burstAlert(fixtureNow)
	grown.Evidence.AddAddress("203.0.113.99")
	putAlert(t, a, grown)
	moreData(t, a, 1)
	mustSee(t, a, "Push IP risk to Okta: 6 addresses")
	if v := a.View(); strings.Contains(v, "203.0.113.99") {
		t.Fatalf("an address that arrived after the key press is in the form:\n%s", v)
	}
	keysOf(a, "enter", "enter", "enter") // level → message → expires → submit
	dialogOpen(t, a)
	mustSee(t, a, "From "+describe[:40])
	keysOf(a, "tab", "enter")
	if len(fa.pushes) != 1 {
		t.Fatalf("pushes: %v (calls %v)", fa.pushes, fa.callList())
	}
	var ips []string
	for _, r := range fa.pushes[0] {
		ips = append(ips, r.IP)
		if r.Level != "HIGH" {
			t.Errorf("%s pushed at %s", r.IP, r.Level)
		}
	}
	if want := burst.Evidence.Addresses; !slices.Equal(ips, want) {
		t.Fatalf("pushed %v, want the alert's addresses at the key press %v", ips, want)
	}
}

// TestAlertResponsePersonIsFrozen: P on a rise opens the push of the
// person's risk (the Users tab's O), on an alert suggesting a reset the
// reset dialog (R): each with the person as they were at the key press,
// whatever the vendors say meanwhile.
func TestAlertResponsePersonIsFrozen(t *testing.T) {
	fa := &fakeActions{linked: true}
	a, as := newAlertsApp(t, 120, 48, asciiTheme(), true)
	setDeps(a, withFake(t, fa))
	keysOf(a, "7", "j") // the rise: Ava Chen
	if sel, _ := selectedAlert(a); sel.ID != as[2].ID {
		t.Fatalf("selected %+v", sel)
	}
	keysOf(a, "P")
	dialogOpen(t, a)
	mustSee(t, a, "Push a person's risk to Okta", "Ava Chen", "ava.chen@example.com", "Risk: Critical")
	calm := fixtureMsgs()
	for _, m := range calm {
		if u, ok := m.(hub.UsersMsg); ok {
			for i := range u.Views {
				u.Views[i].Level = model.LevelLow
			}
		}
	}
	drive(a, hubMsg(calm))
	mustSee(t, a, "Risk: Critical")
	keysOf(a, "tab", "enter")
	if len(fa.userRisks) != 1 || fa.userRisks[0].Email != "ava.chen@example.com" || fa.userRisks[0].Level != model.LevelCritical {
		t.Fatalf("pushed %+v", fa.userRisks)
	}

	// Søren's two-vendor alert (acknowledged) suggests a reset.
	drive(a, hubMsg(fixtureMsgs()))
	keysOf(a, "f")
	mustSee(t, a, "Søren Müller is High in two vendors")
	keysOf(a, "P")
	dialogOpen(t, a)
	mustSee(t, a, "Reset Cloudflare risk", "Søren Müller", "Cloudflare risk level now: Medium")
	drive(a, hubMsg(calm))
	mustSee(t, a, "Cloudflare risk level now: Medium")
	keysOf(a, "tab", "enter")
	if len(fa.resets) != 1 || fa.resets[0].UserID != "cf-1" || fa.resets[0].Level != model.LevelMedium {
		t.Fatalf("reset %+v", fa.resets)
	}
	if !slices.Equal(fa.actors, []actions.Actor{"ops@bastion", "ops@bastion"}) {
		t.Fatalf("actors %v", fa.actors)
	}
}

// TestAlertDetailOpensPeopleAndTheRange: in the detail, enter on the
// incident shows the Events tab filtered to the range; enter on a person
// opens their drill-down; q closes the detail as esc does, ? shows the
// help over it.
func TestAlertDetailOpensPeopleAndTheRange(t *testing.T) {
	a, _ := newAlertsApp(t, 120, 48, asciiTheme(), true)
	keysOf(a, "7", "enter")
	mustSee(t, a, "> 203.0.113.0/24: 6 addresses, 4 people, 12 failures in 3 min", "People (4)", "Addresses (6)", "Events (12)",
		"Suggested response: push the addresses to Okta at High", "Open: no one has acknowledged it", "USER_LOGGED_INTO_ONELOGIN")
	keysOf(a, "?")
	if !a.help {
		t.Fatal("? did not show the help over the detail")
	}
	keysOf(a, "esc", "enter")
	if a.tab != tabEvents || !strings.Contains(a.View(), "203.0.113.0/24") {
		t.Fatalf("enter on the range: tab %d\n%s", a.tab, a.View())
	}
	keysOf(a, "7")
	mustSee(t, a, "> 203.0.113.0/24")
	keysOf(a, "down", "down")
	mustSee(t, a, "> Søren Müller")
	keysOf(a, "enter")
	if a.drill == nil || a.drill.Key() != "soren.muller@example.com" {
		t.Fatalf("enter on a person: drill %v", a.drill)
	}
	keysOf(a, "esc", "q")
	if a.drill != nil || detailOpen(a) {
		t.Fatal("q did not close the detail")
	}
	mustSee(t, a, "Alerts: open")
}

func detailOpen(a *App) bool { return alertsScreen(a).OwnsKeys() }

// oktaSimActions is the real actions service on a's store with an Okta
// client on the Okta simulator (in process, over its HTTP handler).
func oktaSimActions(t *testing.T, a *App) (*actions.Service, *oktasim.Server) {
	t.Helper()
	w := simkit.NewWorld(simkit.Options{Seed: 2, People: 10, History: time.Hour, Clock: simkit.NewManualClock(fixtureNow)})
	sim := oktasim.New(w, oktasim.Options{})
	oc, err := okta.New(okta.Config{BaseURL: "http://okta.sim", APIToken: secret.New(oktasim.DefaultAPIToken), AllowDocumentationRanges: true,
		HTTP: httpx.Options{HTTPClient: &http.Client{Transport: simkit.Transport(sim.Handler())}}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := actions.New(actions.Options{Store: a.deps.Store, Okta: oc, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc, sim
}

// TestAlertPushRangeReachesOkta: the burst's one-key response, through
// the bulk form, its confirmation, the outbox and the sender, reaches
// the simulated Okta with the alert's addresses, audited with the actor.
func TestAlertPushRangeReachesOkta(t *testing.T) {
	a, as := newAlertsApp(t, 120, 48, asciiTheme(), true)
	svc, sim := oktaSimActions(t, a)
	setDeps(a, func(d *Deps) { d.Actor = "ops@bastion" })
	drive(a, Attach{Actions: svc})
	keysOf(a, "7", "P")
	formOpen(t, a)
	keysOf(a, "enter", "enter", "enter")
	dialogOpen(t, a)
	mustSee(t, a, "the bulk push")
	keysOf(a, "tab", "enter")
	mustSee(t, a, "queued 6 addresses (HIGH) for Okta")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.NewSender().Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for len(sim.Pushed()) < 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // waits for the sender goroutine; the outcome is checked below
	}
	var got []string
	for _, p := range sim.Pushed() {
		got = append(got, p.IP)
		if p.Level != "HIGH" {
			t.Errorf("%s reached Okta at %s", p.IP, p.Level)
		}
	}
	slices.Sort(got)
	if want := as[3].Evidence.Addresses; !slices.Equal(got, want) {
		t.Fatalf("Okta received %v, want %v", got, want)
	}
	es, err := a.deps.Store.Audit(ctx, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	pushes := 0
	for _, e := range es {
		if e.Action == "push-ip" && e.Actor == "ops@bastion" {
			pushes++
		}
	}
	if pushes == 0 {
		t.Fatalf("no push audited as ops@bastion: %+v", es)
	}
}

// TestAlertDetailSaysWhatWasPushed: a range alert's pane says whether its
// addresses are pushed: none, then queued, then sent and live at Okta, as
// the outbox changes.
func TestAlertDetailSaysWhatWasPushed(t *testing.T) {
	a, _ := newAlertsApp(t, 120, 48, asciiTheme(), true)
	svc, sim := oktaSimActions(t, a)
	drive(a, Attach{Actions: svc})
	keysOf(a, "7", "enter")
	mustSee(t, a, "Not pushed: none of its 6 addresses is queued or live at Okta at High")
	keysOf(a, "P")
	formOpen(t, a)
	keysOf(a, "enter", "enter", "enter")
	dialogOpen(t, a)
	keysOf(a, "tab", "enter")
	drive(a, hubMsg{hub.ActionsChanged{}}) // as the dashboard's actions publish on each change
	mustSee(t, a, "Pushing: 0 of 6 addresses sent at High, 6 queued")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.NewSender().Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(sim.Pushed()) < 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // waits for the sender goroutine; the outcome is checked below
	}
	cancel()
	<-done
	drive(a, hubMsg{hub.ActionsChanged{}})
	mustSee(t, a, "Pushed: 6 of 6 addresses sent and live at Okta at High")
}

// TestAlertDetailSaysWhatWasPushedOfAPerson: a person alert's pane says
// where the newest push of the person's risk is, as the outbox changes.
func TestAlertDetailSaysWhatWasPushedOfAPerson(t *testing.T) {
	a, as := newAlertsApp(t, 120, 48, asciiTheme(), true)
	keysOf(a, "7", "j") // the rise: Ava Chen
	if sel, _ := selectedAlert(a); sel.ID != as[2].ID {
		t.Fatalf("selected %+v", sel)
	}
	keysOf(a, "enter")
	mustSee(t, a, "Not pushed: no push of this person's risk to Okta yet")
	st, ctx := a.deps.Store, context.Background()
	ids, err := st.Enqueue(ctx, []model.OutboxItem{{Created: fixtureNow, Subject: "ava.chen@example.com", Level: model.LevelCritical, Actor: "ops@bastion"}})
	if err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.ActionsChanged{}})
	mustSee(t, a, "Pushing: Critical queued for Okta by ops@bastion at Nov 21 14:30")
	if err := st.MarkSent(ctx, ids, fixtureNow.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.ActionsChanged{}})
	mustSee(t, a, "Pushed: Critical sent to Okta by ops@bastion at Nov 21 14:29 (1m ago)")

	// With actions: P pushes over SSF; without SSF, the pane says why not.
	setDeps(a, withFake(t, &fakeActions{linked: true}))
	drive(a, hubMsg{hub.ActionsChanged{}})
	mustSee(t, a, "Subject ava.chen@example.com — P to push")
	setDeps(a, withFake(t, &fakeActions{linked: true, noSSF: true}))
	drive(a, hubMsg{hub.ActionsChanged{}})
	mustSee(t, a, "Subject ava.chen@example.com — pushing a person needs push: ssf")
}

// notes records Deps.Notify's calls.
type notes struct {
	mu    sync.Mutex
	calls []string
}

func (n *notes) notify(kind, title, body string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, kind+"|"+title+"|"+body)
}

func (n *notes) list() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.calls)
}

// TestNotifyOncePerNewAlert: a new alert at or above High notifies the
// terminal once (the footer says it too); never one that existed when
// the session started, a back-filled one, a lower one, or the same alert
// again; :notify off stops it for this operator only, remembered across
// sessions, and :notify osc9 changes the kind.
func TestNotifyOncePerNewAlert(t *testing.T) {
	a, as := newAlertsApp(t, 120, 40, asciiTheme(), true)
	n := &notes{}
	setDeps(a, func(d *Deps) { d.Notify = n.notify; d.Actor = "ops@bastion" })
	// The alerts of before the session change: nothing.
	old := burstAlert(fixtureNow)
	old.Count = 2
	putAlert(t, a, old)
	if got := n.list(); len(got) != 0 {
		t.Fatalf("an alert older than the session notified: %v", got)
	}
	if as[3].Key != old.Key {
		t.Fatal("the fixture's burst changed")
	}

	fresh := putAlert(t, a, scoreAlert("ben.okafor@example.com", model.LevelHigh))
	// No choice made: the terminal's default kind ("").
	want := []string{fmt.Sprintf("|risktop: high alert|#%d Score 97 for ben.okafor@example.com", fresh.ID)}
	if got := n.list(); !slices.Equal(got, want) {
		t.Fatalf("notified %v, want %v", got, want)
	}
	mustSee(t, a, "New alert: Score 97 for ben.okafor@example.com — 7 shows it")
	again := scoreAlert("ben.okafor@example.com", model.LevelHigh)
	again.Count = 5
	putAlert(t, a, again)
	low := putAlert(t, a, scoreAlert("priya.iyer@example.com", model.LevelMedium))
	back := scoreAlert("max.k@example.com", model.LevelCritical)
	back.Backfilled = true
	putAlert(t, a, back)
	if got := n.list(); len(got) != 1 {
		t.Fatalf("notified again, or for a Medium (#%d) or a back-filled alert: %v", low.ID, got)
	}

	drive(a, a.run(":notify off")) // as the command bar runs it
	mustSee(t, a, "new alerts show in the footer only, remembered for ops@bastion")
	drive(a, toastExpired{a.toast.id}) // that notice has been read
	putAlert(t, a, scoreAlert("zoe.obrien@example.com", model.LevelCritical))
	if got := n.list(); len(got) != 1 {
		t.Fatalf(":notify off, yet notified: %v", got)
	}
	mustSee(t, a, "New alert: Score 97 for zoe.obrien@example.com")

	// Another operator's session on the same store still gets the bell;
	// a new session of the first operator remembers off.
	other, n2 := notifySession(t, a, "ssh:other-key")
	mine, n3 := notifySession(t, a, "ops@bastion")
	f2 := putAlert(t, other, scoreAlert("yamada.taro@example.com", model.LevelCritical))
	drive(mine, hubMsg{hub.AlertsChanged{Seq: f2.Seq}})
	if got := n2.list(); len(got) != 1 || !strings.HasPrefix(got[0], "|risktop: critical alert|") {
		t.Fatalf("the other operator's session: %v", got)
	}
	if got := n3.list(); len(got) != 0 {
		t.Fatalf("ops@bastion turned notifications off, yet a new session notified: %v", got)
	}
	drive(mine, mine.run(":notify osc9"))
	f3 := putAlert(t, mine, scoreAlert("user1004@example.com", model.LevelHigh))
	if got := n3.list(); !slices.Equal(got, []string{fmt.Sprintf("osc9|risktop: high alert|#%d Score 97 for user1004@example.com", f3.ID)}) {
		t.Fatalf(":notify osc9: %v", got)
	}
	drive(mine, mine.run(":notify bell"))
	putAlert(t, mine, scoreAlert("new1@example.com", model.LevelCritical))
	drive(mine, mine.run(":notify default"))
	putAlert(t, mine, scoreAlert("new2@example.com", model.LevelCritical))
	if got := n3.list(); len(got) != 3 || !strings.HasPrefix(got[1], "bell|") || !strings.HasPrefix(got[2], "|") {
		t.Fatalf(":notify bell, then default: %v", got)
	}
	drive(mine, mine.run(":notify loud"))
	mustSee(t, mine, ":notify takes off, bell, osc9, osc777 or default, not loud")
}

// notifySession is a new dashboard on a's store, acting as actor, its
// notifications recorded.
func notifySession(t *testing.T, a *App, actor string) (*App, *notes) {
	t.Helper()
	n := &notes{}
	b := New(Deps{Vendors: a.deps.Vendors, Store: a.deps.Store, Theme: asciiTheme(), Actor: actions.Actor(actor), Notify: n.notify,
		Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(b, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(b, b.Init())
	return b, n
}

// TestAlertTextIsCleaned: an alert written raw to the store (by anything
// with the file) reaches the screen without escapes or controls: the
// list, the detail, the header's notice and the terminal notification.
func TestAlertTextIsCleaned(t *testing.T) {
	a, _ := newAlertsApp(t, 120, 40, trueColorTheme(), false)
	n := &notes{}
	setDeps(a, func(d *Deps) { d.Notify = n.notify })
	raw := scoreAlert("eve\x1b[2J@example.com", model.LevelCritical)
	raw.Title = "Score 97 \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 for \u202eeve\x07"
	raw.Evidence.AddAddress("203.0.113.7\x1b[31m")
	putAlert(t, a, raw)
	keysOf(a, "7")
	checkScreen(t, "list", a.View(), 120, 40)
	keysOf(a, "enter")
	checkScreen(t, "detail", a.View(), 120, 40)
	for _, c := range n.list() {
		if strings.ContainsAny(c, "\x1b\x07\u202e") {
			t.Errorf("notified with raw text: %q", c)
		}
	}
	if len(n.list()) != 1 {
		t.Fatalf("notified %v", n.list())
	}
}

// TestUsersMarkWhoRose: someone whose level rose in the last hour is
// marked in the Users list with the rise; a rise older than the hour is
// not; the people of a live alert are marked.
func TestUsersMarkWhoRose(t *testing.T) {
	a, _ := newAlertsApp(t, 160, 48, asciiTheme(), false)
	ctx := context.Background()
	view := func(email string, l model.Level) model.UserRisk {
		return model.UserRisk{Vendor: "cloudflare", UserID: email, Email: email, Level: l, RawLevel: l.String(), Score: model.NoScore}
	}
	put := func(at time.Time, vs ...model.UserRisk) {
		if err := a.deps.Store.PutUserRisks(ctx, "cloudflare", at, vs); err != nil {
			t.Fatal(err)
		}
	}
	put(fixtureNow.Add(-3*time.Hour), view("ben.okafor@example.com", model.LevelLow), view("priya.iyer@example.com", model.LevelLow))
	put(fixtureNow.Add(-2*time.Hour), view("ben.okafor@example.com", model.LevelLow), view("priya.iyer@example.com", model.LevelMedium))
	put(fixtureNow.Add(-10*time.Minute), view("ben.okafor@example.com", model.LevelHigh), view("priya.iyer@example.com", model.LevelMedium))
	drive(a, hubMsg(fixtureMsgs())) // people changed: the marks are read again
	keysOf(a, "3")
	mustSee(t, a, "↑ High (was Low)", "Ben Okafor", "↑ rising")
	if v := a.View(); strings.Count(v, "↑ ") != 2 { // Ben's row and the legend
		t.Fatalf("marked more than Ben:\n%s", v)
	}
	// History (a back-filled alert) marks no one: it rose hours ago.
	old := scoreAlert("priya.iyer@example.com", model.LevelHigh)
	old.Backfilled = true
	putAlert(t, a, old)
	if v := a.View(); strings.Count(v, "↑ ") != 2 {
		t.Fatalf("a back-filled alert marked someone:\n%s", v)
	}
	putAlert(t, a, scoreAlert("priya.iyer@example.com", model.LevelHigh))
	mustSee(t, a, "↑ Medium (CASB 20)")
}

// TestNotifyOnceForABatch: alerts stored together (one run of the
// engine) ring once, naming the worst and how many, and each is still
// announced only once.
func TestNotifyOnceForABatch(t *testing.T) {
	a, _ := newAlertsApp(t, 120, 40, asciiTheme(), false)
	n := &notes{}
	setDeps(a, func(d *Deps) { d.Notify = n.notify })
	got, err := a.deps.Store.PutAlerts(context.Background(), fixtureNow, []model.Alert{
		scoreAlert("ben.okafor@example.com", model.LevelHigh), scoreAlert("priya.iyer@example.com", model.LevelCritical),
		scoreAlert("max.k@example.com", model.LevelLow)}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.AlertsChanged{Seq: got[2].Seq}})
	want := fmt.Sprintf("|risktop: 2 new alerts, the worst critical|#%d Score 97 for priya.iyer@example.com (and 1 more)", got[1].ID)
	if calls := n.list(); !slices.Equal(calls, []string{want}) {
		t.Fatalf("notified %v, want %v", calls, want)
	}
	mustSee(t, a, "2 new alerts, the worst Critical — 7 shows them")
	drive(a, hubMsg{hub.AlertsChanged{Seq: got[2].Seq}})
	if calls := n.list(); len(calls) != 1 {
		t.Fatalf("notified again: %v", calls)
	}
}

// TestAlertNoticeLeavesANoticeShowing: a new alert does not push a notice
// already on the footer off it (a selection that moved, an action's
// result); the terminal is still told, and the badge counts it.
func TestAlertNoticeLeavesANoticeShowing(t *testing.T) {
	a, _ := newAlertsApp(t, 120, 40, asciiTheme(), false)
	n := &notes{}
	setDeps(a, func(d *Deps) { d.Notify = n.notify })
	drive(a, toastMsg{text: "Elena Zhang moved ↓ 3 as people came and went"})
	putAlert(t, a, scoreAlert("ben.okafor@example.com", model.LevelCritical))
	mustSee(t, a, "Elena Zhang moved ↓ 3")
	if v := a.View(); strings.Contains(v, "New alert") {
		t.Fatalf("the alert's notice replaced the one showing:\n%s", v)
	}
	if len(n.list()) != 1 {
		t.Fatalf("the terminal was not told: %v", n.list())
	}
}
