package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/form"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/push"
)

// actionApp is the fixture app with fa as its actions service (nil: none)
// reading the Cloudflare simulator.
func actionApp(t *testing.T, w, h int, fa *fakeActions) *App {
	t.Helper()
	a := newFixtureApp(t, w, h, 400)
	setDeps(a, func(d *Deps) { d.Actions = nil })
	if fa != nil {
		if fa.reads == nil {
			fa.reads = simReads(t)
		}
		setDeps(a, func(d *Deps) { d.Actions = fa })
	}
	setDeps(a, func(d *Deps) { d.Actor = "ops@bastion" })
	return a
}

func keysOf(a *App, ks ...string) {
	for _, k := range ks {
		drive(a, press(k))
	}
}

// actionHelps are the help texts of every action key.
var actionHelps = []string{"reset Cloudflare risk", "push the IP's risk to Okta", "push every IP in the filter",
	"push an IP's risk to Okta", "enable / disable", "risk level", "review and save", "undo the changes",
	"new integration", "edit", "delete", "retry the push", "drop the push"}

// shown is every key help the footer and the help screen draw from here.
func shown(a *App) string {
	var b strings.Builder
	for _, k := range a.current().Keys() {
		if h := k.Help(); k.Enabled() && h.Key != "" {
			b.WriteString(h.Key + " " + h.Desc + "\n")
		}
	}
	b.WriteString(a.helpText(200))
	return b.String()
}

// TestReadOnlyRefusesEveryActionKey: with no actions service, or a
// read-only one, every action key shows a short notice, opens nothing and
// calls nothing, and neither the footer nor the help lists action keys.
// With actions on, the same keys are listed (the check's control).
func TestReadOnlyRefusesEveryActionKey(t *testing.T) {
	presses := []struct {
		where []string // keys that get there
		act   []string // action keys to try there
	}{
		{[]string{"3"}, []string{"R"}},
		{[]string{"3", "enter"}, []string{"R", "p"}},
		{[]string{"2"}, []string{"p", "P"}},
		{[]string{"2", "enter"}, []string{"p"}},
		{[]string{"4"}, []string{"left", "right", "h", "l", "s", "u"}},
		{[]string{"5"}, []string{"n", "enter", "d"}},
		{[]string{"6"}, []string{"R", "d"}},
	}
	for _, c := range []struct {
		name   string
		fa     *fakeActions
		notice string
	}{
		{"nil", nil, "no actions: this dashboard runs without the actions service"},
		{"read-only", &fakeActions{readOnly: true}, actions.ErrReadOnly.Error()},
		{"ssh viewer", &fakeActions{readOnly: true, refusal: actions.ErrViewOnly}, actions.ErrViewOnly.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := actionApp(t, 120, 30, c.fa)
			for _, p := range presses {
				keysOf(a, "esc", "esc") // out of a detail or drill-down
				keysOf(a, p.where...)
				text := shown(a)
				for _, h := range actionHelps {
					if strings.Contains(text, " "+h+"\n") {
						t.Fatalf("after %v the keys list %q:\n%s", p.where, h, text)
					}
				}
				for _, k := range p.act {
					a.toast.text = ""
					keysOf(a, k)
					if a.toast.text != c.notice || a.modal != nil {
						t.Fatalf("after %v, %q: notice %q, modal %v", p.where, k, a.toast.text, a.modal)
					}
				}
				if c.fa != nil {
					if calls := c.fa.callList(); len(calls) != 0 {
						t.Fatalf("calls: %v", calls)
					}
				}
			}
		})
	}
	// Space on the Behaviors tab keeps its global meaning when it cannot
	// toggle anything.
	a := actionApp(t, 120, 30, &fakeActions{readOnly: true})
	keysOf(a, "4", " ")
	if !a.paused {
		t.Fatal("space on a read-only Behaviors tab did not pause")
	}

	// The control: with actions on, the keys are listed.
	on := actionApp(t, 120, 30, &fakeActions{})
	for _, p := range presses {
		keysOf(on, "esc", "esc")
		keysOf(on, p.where...)
		text := shown(on)
		found := false
		for _, h := range actionHelps {
			found = found || strings.Contains(text, " "+h+"\n")
		}
		if !found {
			t.Fatalf("with actions on, %v lists no action key:\n%s", p.where, text)
		}
	}
}

// TestActionKeysSayWhyTheyCannot: a person without a Cloudflare id, an
// event without an address, vendors not configured.
func TestActionKeysSayWhyTheyCannot(t *testing.T) {
	a := actionApp(t, 120, 30, &fakeActions{noCF: true, noOkta: true})
	keysOf(a, "3", "R")
	if a.toast.text != "cannot reset: Cloudflare is not configured" {
		t.Fatalf("no Cloudflare: %q", a.toast.text)
	}
	keysOf(a, "2", "p")
	if a.toast.text != "cannot push IP risk: Okta is not configured" {
		t.Fatalf("no Okta: %q", a.toast.text)
	}

	fa := &fakeActions{}
	a = actionApp(t, 120, 30, fa)
	// A person only CASB reports: no Cloudflare user id.
	drive(a, hubMsg{pollUsers("cloudflare", nil)})
	keysOf(a, "3", "R")
	if !strings.Contains(a.toast.text, "cannot reset ava.chen@example.com: they have no Cloudflare user id") || a.modal != nil {
		t.Fatalf("no Cloudflare id: %q", a.toast.text)
	}
	if len(fa.callList()) != 0 {
		t.Fatal(fa.callList())
	}
}

// TestBehaviorsFailedSaveKeepsTheChanges: after a failed save the rows
// stay marked, the header counts them, and the screen says what was not
// saved; u undoes them.
func TestBehaviorsFailedSaveKeepsTheChanges(t *testing.T) {
	fa := &fakeActions{failWith: map[string]error{"SaveBehaviors": errors.New("cloudflare: 500 Internal Server Error")}}
	a := actionApp(t, 120, 30, fa)
	keysOf(a, "4", " ", "j", "right", "s")
	if !strings.Contains(a.View(), "crowdstrike_low_zta  enabled yes → no") || !strings.Contains(a.View(), "crowdstrike_medium_zta  level medium → high") {
		t.Fatalf("the diff:\n%s", a.View())
	}
	keysOf(a, "tab", "enter")
	v := a.View()
	for _, want := range []string{"2 unsaved changes", "not saved: cloudflare: 500 Internal Server Error", "* CrowdStrike L", "* CrowdStrike M"} {
		if !strings.Contains(v, want) {
			t.Fatalf("after the failed save, no %q:\n%s", want, v)
		}
	}
	if len(fa.saved) != 1 || len(fa.saved[0]) != 2 {
		t.Fatalf("saved %v", fa.saved)
	}
	keysOf(a, "u")
	if v := a.View(); strings.Contains(v, "unsaved") || strings.Contains(v, "* Crowd") || a.toast.text != "undid 2 changes" {
		t.Fatalf("after u (%q):\n%s", a.toast.text, v)
	}
	// Toggling back to what was loaded is no change.
	keysOf(a, " ", " ")
	if v := a.View(); strings.Contains(v, "unsaved") || strings.Contains(v, "* Crowd") {
		t.Fatalf("pending after toggling twice:\n%s", v)
	}
}

// TestBulkFormSaysWhenTheFilterHasMore: the bulk form caps at 1,000
// addresses and says how many the filter has.
func TestBulkFormSaysWhenTheFilterHasMore(t *testing.T) {
	a := actionApp(t, 120, 40, &fakeActions{})
	ips := make([]string, push.BulkCap)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.0.%d.%d", i/250, i%250)
	}
	drive(a, push.IPs{IPs: ips, Total: 1500, Filter: "last 1d · score ≥ 76"})
	v := a.View()
	for _, want := range []string{"Push IP risk to Okta: 1,000 addresses", "1,000 addresses from the events filter: last 1d · score ≥ 76",
		"The filter has 1,500 addresses; only the riskiest 1,000 are pushed."} {
		if !strings.Contains(v, want) {
			t.Fatalf("no %q:\n%s", want, v)
		}
	}
	drive(a, push.IPs{Filter: "last 1h"})
	if a.toast.text != "no addresses in the current filter: nothing to push" {
		t.Fatal(a.toast.text)
	}
}

// TestModalsFit: every line of a screen with a dialog or a form open is
// exactly the terminal's width, at every size.
func TestModalsFit(t *testing.T) {
	flows := [][]string{{"3", "R"}, {"3", "enter", "p"}, {"2", "p"}, {"2", "P"}, {"4", " ", "s"}, {"5", "n"}, {"5", "enter"}, {"5", "d"}}
	a := actionApp(t, 80, 24, &fakeActions{linked: true})
	for _, w := range []int{80, 97, 160, 233} {
		for _, h := range []int{24, 31, 48} {
			drive(a, tea.WindowSizeMsg{Width: w, Height: h})
			for _, fl := range flows {
				keysOf(a, "esc", "esc", "u", "esc") // close the modal and the drill-down; undo the behavior change (u on Events opens a drill-down: esc)
				keysOf(a, fl...)
				if a.modal == nil {
					t.Fatalf("%v opened no modal", fl)
				}
				lines := strings.Split(a.View(), "\n")
				if len(lines) != h {
					t.Fatalf("%d×%d %v: %d lines", w, h, fl, len(lines))
				}
				for i, l := range lines {
					if lw := lipgloss.Width(l); lw != w {
						t.Fatalf("%d×%d %v: line %d is %d wide: %q", w, h, fl, i, lw, l)
					}
				}
			}
		}
	}
}

// TestFormKeys: tab and shift+tab wrap around the fields and buttons,
// enter moves on from a field before the last, ctrl+n cycles the seen
// addresses, esc cancels.
func TestFormKeys(t *testing.T) {
	a := actionApp(t, 120, 40, &fakeActions{})
	drive(a, answered(a, push.Open(a.c, "203.0.113.1", "MEDIUM", []string{"203.0.113.1", "198.51.100.7", "2001:db8::2"})))
	f := a.modal.(*form.Form)
	if f.Focus() != 0 || f.Value("level") != "MEDIUM" {
		t.Fatalf("focus %d level %s", f.Focus(), f.Value("level"))
	}
	keysOf(a, "ctrl+n")
	if f.Value("ip") != "198.51.100.7" {
		t.Fatal(f.Value("ip"))
	}
	keysOf(a, "ctrl+p", "ctrl+p")
	if f.Value("ip") != "2001:db8::2" {
		t.Fatal(f.Value("ip"))
	}
	keysOf(a, "enter") // moves on, does not submit
	if f.Focus() != 1 || a.modal != f {
		t.Fatalf("focus %d", f.Focus())
	}
	keysOf(a, "left", "left", "l") // choice: MEDIUM → LOW → HIGH → "l" picks LOW
	if f.Value("level") != "LOW" {
		t.Fatal(f.Value("level"))
	}
	keysOf(a, "shift+tab", "shift+tab") // wraps to Cancel
	if f.Focus() != f.FieldCount()+1 {
		t.Fatalf("focus %d", f.Focus())
	}
	keysOf(a, "q", "1", "?") // swallowed on the buttons
	if a.modal != f || a.tab != tabOverview || a.help {
		t.Fatal("a key leaked from the form")
	}
	keysOf(a, "esc")
	if a.modal != nil {
		t.Fatal("esc did not cancel")
	}
}

// TestCopy: y copies what the screen is about; the notice says what.
func TestCopy(t *testing.T) {
	var mu sync.Mutex
	var got []string
	a := actionApp(t, 120, 30, nil)
	withCloudflare(t, a) // reads, no actions
	setDeps(a, func(d *Deps) {
		d.Clipboard = func(s string) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, s)
			return nil
		}
	})
	ev := fixtureEvents(400)[399] // the newest: the first row
	steps := []struct {
		keys []string
		want string
	}{
		{[]string{"2", "y"}, ev.IP},
		{[]string{"Y"}, ev.ID},
		{[]string{"enter", "y"}, ev.ID},
		{[]string{"esc", "3", "y"}, "ava.chen@example.com"},
		{[]string{"enter", "y"}, "ava.chen@example.com"},
		{[]string{"esc", "5", "y"}, ""}, // the integration's URL, checked below
	}
	for _, s := range steps {
		keysOf(a, s.keys...)
		if s.want != "" && got[len(got)-1] != s.want {
			t.Fatalf("after %v copied %q, want %q", s.keys, got[len(got)-1], s.want)
		}
		if a.toast.text != "copied "+layout.Cut(got[len(got)-1], 60)+" to the clipboard" {
			t.Fatalf("after %v: %q", s.keys, a.toast.text)
		}
	}
	if !strings.HasPrefix(got[len(got)-1], "/.well-known/sse-configuration/") {
		t.Fatalf("integrations copied %q", got[len(got)-1])
	}

	// The outbox copies the IP, the audit log the target.
	ctx := context.Background()
	st := a.deps.Store
	if _, err := st.Enqueue(ctx, []model.OutboxItem{{IP: "203.0.113.77", Level: model.LevelHigh}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendAudit(ctx, model.AuditEntry{Action: "reset-user", Target: "ava.chen@example.com", Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	keysOf(a, "6", "y")
	if got[len(got)-1] != "203.0.113.77" {
		t.Fatal(got)
	}
	keysOf(a, "right", "y")
	if got[len(got)-1] != "ava.chen@example.com" {
		t.Fatal(got)
	}

	// No clipboard: say so. A failing one: say why.
	setDeps(a, func(d *Deps) { d.Clipboard = nil })
	keysOf(a, "y")
	if a.toast.text != "copying is not available here" {
		t.Fatal(a.toast.text)
	}
	setDeps(a, func(d *Deps) {
		d.Clipboard = func(string) error {
			return errors.New("9000 bytes is too much to copy: the clipboard takes at most 8 KiB")
		}
	})
	keysOf(a, "y")
	if a.toast.text != "not copied: 9000 bytes is too much to copy: the clipboard takes at most 8 KiB" {
		t.Fatal(a.toast.text)
	}
}

// TestActionsChangedReloadsTheOutbox: the hub's hub.ActionsChanged reloads
// the Outbox & audit tab, even while paused.
func TestActionsChangedReloadsTheOutbox(t *testing.T) {
	a := actionApp(t, 120, 30, &fakeActions{})
	keysOf(a, "6", " ") // paused
	if _, err := a.deps.Store.Enqueue(context.Background(), []model.OutboxItem{{IP: "192.0.2.44", Level: model.LevelLow}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.View(), "192.0.2.44") {
		t.Fatal("shown before the announcement")
	}
	drive(a, hubMsg{hub.ActionsChanged{}})
	if !strings.Contains(a.View(), "192.0.2.44") || !strings.Contains(a.View(), "1 queued") {
		t.Fatalf("not reloaded:\n%s", a.View())
	}
	if (hub.ActionsChanged{}).Key() != "actions" {
		t.Fatal("key")
	}
}

// TestLongNoticeWraps: a notice longer than the footer continues over the
// body's last lines instead of being cut.
func TestLongNoticeWraps(t *testing.T) {
	a := actionApp(t, 80, 24, nil)
	long := "exported 400 events to /home/operator/.local/state/risktop/exports/risktop-events-20261121-143000.csv"
	drive(a, a.say(long))
	lines := strings.Split(a.View(), "\n")
	if len(lines) != 24 {
		t.Fatal(len(lines))
	}
	first, second := strings.TrimSpace(lines[22]), strings.TrimSpace(lines[23])
	joined := first + " " + second
	if strings.HasSuffix(first, "-") { // wrapped at a hyphen
		joined = first + second
	}
	if joined != long {
		t.Fatalf("the notice reads %q", joined)
	}
}

// TestGoldenActions draws the action dialogs and forms at 80×24 and
// 160×48 (update with go test ./ui -update).
func TestGoldenActions(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		typ  string
	}{
		{"reset-dialog", []string{"3", "R"}, ""},
		{"push-form-invalid", []string{"2", "p", "ctrl+u"}, "203.0.113.300"},
		{"bulk-form", []string{"2", "/"}, "score>=90"},
		{"behaviors-diff", []string{"4", "j", "j", "j", "j", " ", "h", "j", "j", "right", "s"}, ""},
		{"integrations", []string{"5"}, ""},
	}
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		for _, c := range cases {
			t.Run(c.name+"-"+itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
				a := actionApp(t, sz.w, sz.h, &fakeActions{linked: true})
				keysOf(a, c.keys...)
				for _, r := range c.typ {
					keysOf(a, string(r))
				}
				if c.name == "bulk-form" {
					keysOf(a, "enter", "P")
				}
				golden.RequireEqual(t, []byte(a.View()))
			})
		}
	}
}

// TestAttachBringsActions: the demo's service may come up after the first
// frame, with the simulator.
func TestAttachBringsActions(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 0)
	if a.c.ActionsOff() == "" {
		t.Fatal("actions on without a service")
	}
	drive(a, Attach{Actions: &fakeActions{}})
	if a.c.ActionsOff() != "" {
		t.Fatal("Attach did not bring the actions")
	}
	drive(a, Attach{})
	if a.c.ActionsOff() != "" {
		t.Fatal("an Attach without actions took them away")
	}
	keysOf(a, "3")
	if !strings.Contains(shown(a), "R reset Cloudflare risk\n") {
		t.Fatal("no reset key")
	}
}

func pollUsers(vendor string, views []model.UserRisk) hub.Msg {
	return hub.UsersMsg{Vendor: vendor, At: fixtureNow, Views: views}
}

// TestIntegrationCreateAndEdit: n opens the create form (tenant URL
// checked as typed), enter the edit form with the current values; each
// submit sends exactly what the form holds.
func TestIntegrationCreateAndEdit(t *testing.T) {
	fa := &fakeActions{}
	a := actionApp(t, 120, 40, fa)
	keysOf(a, "5", "n")
	f, ok := a.modal.(*form.Form)
	if !ok || f.Problem("tenant") == "" {
		t.Fatalf("the create form: %v", a.modal)
	}
	for _, r := range "acme.okta.com" {
		keysOf(a, string(r))
	}
	if f.Problem("tenant") != "must be an absolute URL, like https://tenant.okta.com" {
		t.Fatalf("problem %q", f.Problem("tenant"))
	}
	keysOf(a, "tab", "enter") // submit refused
	if f.Err() != form.ProblemsFirst || f.Focus() != 0 || len(fa.callList()) != 0 {
		t.Fatalf("err %q focus %d calls %v", f.Err(), f.Focus(), fa.callList())
	}
	keysOf(a, "ctrl+u")
	for _, r := range "https://beta.okta.com" {
		keysOf(a, string(r))
	}
	keysOf(a, "tab")
	for _, r := range "0oa-idp-2" {
		keysOf(a, string(r))
	}
	keysOf(a, "enter")
	want := actions.IntegrationCreate{IntegrationType: "Okta", TenantURL: "https://beta.okta.com", ReferenceID: "0oa-idp-2"}
	if len(fa.created) != 1 || fa.created[0] != want || a.modal != nil {
		t.Fatalf("created %+v, modal %v", fa.created, a.modal)
	}
	if a.toast.text != "created the Okta integration for https://beta.okta.com" {
		t.Fatal(a.toast.text)
	}

	keysOf(a, "enter") // edit the selected one
	f = a.modal.(*form.Form)
	if f.Value("active") != "yes" || f.Value("tenant") != "https://acme.okta.com" || f.Value("reference") != "0oa-access-okta-idp" {
		t.Fatalf("edit form: %q %q %q", f.Value("active"), f.Value("tenant"), f.Value("reference"))
	}
	keysOf(a, "right", "tab", "tab", "enter") // active: no
	in := selectedIntegration(t, fa)
	if calls := fa.callList(); calls[len(calls)-1] != "UpdateIntegration "+in.ID {
		t.Fatal(calls)
	}
	if up := fa.updated[0]; up != (actions.IntegrationUpdate{Active: false, TenantURL: "https://acme.okta.com", ReferenceID: "0oa-access-okta-idp"}) {
		t.Fatalf("update %+v", up)
	}

	// A vendor error keeps the form open, with what was typed and why.
	fa.failWith = map[string]error{"CreateIntegration": errors.New("cloudflare: 409 Conflict — an integration with that reference id exists")}
	keysOf(a, "n")
	for _, r := range "https://gamma.okta.com" {
		keysOf(a, string(r))
	}
	keysOf(a, "tab", "enter")
	f = a.modal.(*form.Form)
	if f.Busy() || f.Err() != "not created: cloudflare: 409 Conflict — an integration with that reference id exists" || f.Value("tenant") != "https://gamma.okta.com" {
		t.Fatalf("after the failure: busy %v err %q", f.Busy(), f.Err())
	}
}

// TestCloseLeavesTheHub: a dashboard ended from outside (an SSH session
// closed) hears nothing more from the hub once closed, and its reads stop.
func TestCloseLeavesTheHub(t *testing.T) {
	bus := hub.New()
	a := New(Deps{Vendors: vendors.Infos(), Hub: bus, Theme: asciiTheme(), After: noTimers})
	bus.Publish(hub.ActionsChanged{})
	select {
	case <-a.sub.Ready():
	default:
		t.Fatal("a subscribed dashboard heard nothing")
	}
	a.sub.Take()
	a.Close()
	a.Close() // twice is harmless
	bus.Publish(hub.ActionsChanged{})
	select {
	case <-a.sub.Ready():
		t.Fatal("a closed dashboard still hears the hub")
	default:
	}
	if a.ctx.Err() == nil {
		t.Fatal("Close left the dashboard's reads running")
	}
}
