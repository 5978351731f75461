package ui

import (
	"strings"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/sources"
)

// lines is the screen split into lines, escapes removed.
func screenLines(a *App) []string { return strings.Split(a.View(), "\n") }

// TestHeaderNamesEachFailingSourcesError: a failing source's own error is
// on screen under the pills, without its vendor prefix twice, and leaves
// when the source recovers.
func TestHeaderNamesEachFailingSourcesError(t *testing.T) {
	a := newFixtureApp(t, 120, 30, 50)
	drive(a, hubMsg{hub.HealthMsg{Health: failingOneLogin(3)}})
	ls := screenLines(a)
	if len(ls) != 30 {
		t.Fatalf("%d lines, want 30", len(ls))
	}
	want := []string{
		"✖ OneLogin failing: GET /api/1/events: timeout: no answer within 30s",
		"▲ Oracle CASB degraded: GET /api/v1/reports: 503 Service Unavailable",
	}
	for i, w := range want {
		if got := strings.TrimRight(ls[1+i], " "); got != w {
			t.Errorf("header line %d = %q, want %q", 2+i, got, w)
		}
	}
	if !strings.Contains(ls[3], "1 Overview") {
		t.Errorf("the tab bar should follow the two error lines: %q", ls[3])
	}

	// Recovered: OK with the old error kept in the health, no line.
	ok := failingOneLogin(0)
	ok.State, ok.LastSuccess = model.StateOK, fixtureNow
	drive(a, hubMsg{hub.HealthMsg{Health: ok}})
	if ls := screenLines(a); strings.Contains(strings.Join(ls[:3], "\n"), "OneLogin failing") || !strings.Contains(ls[2], "1 Overview") {
		t.Errorf("after recovery the header still shows the error:\n%s", strings.Join(ls[:3], "\n"))
	}
}

// TestDegradedAfterAGoodPollShowsItsNote: a source degraded by a note
// (a low budget) after a good poll shows the note, not an error from
// before that poll; the panel calls that error recovered.
func TestDegradedAfterAGoodPollShowsItsNote(t *testing.T) {
	a := newFixtureApp(t, 100, 30, 50)
	h := failingOneLogin(0)
	h.State, h.LastSuccess, h.Note = model.StateDegraded, fixtureNow, "rate-limit budget nearly spent"
	drive(a, hubMsg{hub.HealthMsg{Health: h}})
	ls := screenLines(a)
	if got := strings.TrimRight(ls[1], " "); got != "▲ OneLogin degraded: rate-limit budget nearly spent" {
		t.Errorf("header line 2 = %q", got)
	}
	if v := a.View(); strings.Contains(v, "no answer within 30s") {
		t.Errorf("the stale error is on screen:\n%s", v)
	}
	drive(a, press("S"))
	if flat := squash(a.View()); !strings.Contains(flat, squash("last error (<1m ago), since recovered: GET /api/1/events: timeout")) ||
		!strings.Contains(flat, squash("note: rate-limit budget nearly spent")) {
		t.Errorf("the panel:\n%s", a.View())
	}
}

// TestHeaderFoldsManyFailingSources: with three sources in trouble the
// header keeps to two lines, the second naming the others.
func TestHeaderFoldsManyFailingSources(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 50)
	cf := model.Health{Source: "cloudflare", State: model.StateFailing, Failures: 4,
		LastError: "cloudflare: GET zt_risk_scoring/summary: 401 Unauthorized", LastErrorAt: fixtureNow}
	drive(a, hubMsg{hub.HealthMsg{Health: failingOneLogin(3)}})
	drive(a, hubMsg{hub.HealthMsg{Health: cf}})
	ls := screenLines(a)
	if !strings.HasPrefix(ls[1], "✖ OneLogin failing: GET /api/1/events: timeout") {
		t.Errorf("line 2 = %q", ls[1])
	}
	if got := strings.TrimSpace(ls[2]); got != "2 more in trouble: Oracle CASB, Cloudflare · S shows every error" {
		t.Errorf("line 3 = %q", got)
	}
	if !strings.Contains(ls[3], "1 Overview") {
		t.Errorf("line 4 should be the tab bar: %q", ls[3])
	}
}

// TestSourcesPanel: S and :sources open every source's health in full,
// the long error whole (wrapped, not cut), r polls every source, esc
// closes, and keys do not reach the screen below while it is open.
func TestSourcesPanel(t *testing.T) {
	ctl := &fakeControl{}
	a := newFixtureApp(t, 80, 24, 50)
	setDeps(a, func(d *Deps) { d.Control = ctl })
	long := failingOneLogin(3)
	long.LastError = "onelogin: GET /api/1/events: 429 Too Many Requests — OneLogin allows 5,000 calls an hour per account, shared with every other integration (SIEM collectors…); risktop waits for X-RateLimit-Reset"
	drive(a, hubMsg{hub.HealthMsg{Health: long}})

	drive(a, press("S"))
	v := a.View()
	flat := squash(v)
	for _, w := range []string{
		"Sources",
		"✖ onelogin failing · 3 failed polls · retry in 2m · last success 4m ago",
		"last error (<1m ago): GET /api/1/events: 429 Too Many Requests — OneLogin allows 5,000 calls an hour per account, shared with every other integration (SIEM collectors…); risktop waits for X-RateLimit-Reset",
		"▲ casb degraded · 1 failed poll · retry in 1m · last success <1m ago",
		"● cloudflare ok · last success <1m ago · rate limit 4,210/5,000 left",
		"● okta ok · last success 3m ago",
		"note: push only",
	} {
		if !strings.Contains(flat, squash(w)) {
			t.Errorf("the panel lacks %q:\n%s", w, v)
		}
	}
	drive(a, press("2")) // swallowed: the panel has the keyboard
	if a.tab != tabOverview || a.modal == nil {
		t.Fatalf("a key reached the screen below the panel (tab %d)", a.tab)
	}
	drive(a, press("r"))
	if len(ctl.refreshed) != 1 || ctl.refreshed[0] != "" {
		t.Errorf("r asked for %q, want one refresh of every source", ctl.refreshed)
	}
	drive(a, press("esc"))
	if a.modal != nil {
		t.Fatal("esc left the panel open")
	}

	drive(a, press(":"))
	a.cmdbar.in.SetValue("sources") // typed keys would each wait out the cursor's blink
	drive(a, press("enter"))
	if _, ok := a.modal.(*sources.Panel); !ok {
		t.Fatalf(":sources opened %T", a.modal)
	}

	// The panel follows the news while open.
	rec := long
	rec.State, rec.Failures, rec.LastSuccess = model.StateOK, 0, fixtureNow
	drive(a, hubMsg{hub.HealthMsg{Health: rec}})
	flat = squash(a.View())
	if !strings.Contains(flat, squash("● onelogin ok · last success <1m ago")) || !strings.Contains(flat, squash(", since recovered: GET /api/1/events")) {
		t.Errorf("the open panel did not follow the recovery:\n%s", a.View())
	}
}

// squash keeps what is inside the panel's frame (the title with it) and
// removes every space, so text wrapped over lines (at a space or after a
// hyphen) compares as one run.
func squash(s string) string {
	var in []string
	for _, l := range strings.Split(s, "\n") {
		if i, j := strings.Index(l, "│"), strings.LastIndex(l, "│"); i >= 0 && j > i {
			in = append(in, l[i+len("│"):j])
		} else if strings.Contains(l, "╭─") {
			in = append(in, l)
		}
	}
	return strings.Join(strings.Fields(strings.Join(in, " ")), "")
}

// TestSourcesPanelFitsAShortTerminal: with every source failing on a long
// error, the panel at 80×24 still shows its frame whole, each error cut
// to fewer lines with an ellipsis.
func TestSourcesPanelFitsAShortTerminal(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 50)
	for _, v := range vendors.Names() {
		drive(a, hubMsg{hub.HealthMsg{Health: model.Health{Source: v, State: model.StateFailing, Failures: 6,
			LastError: v + ": " + strings.Repeat("a long vendor explanation of what went wrong ", 8), LastErrorAt: fixtureNow}}})
	}
	drive(a, press("S"))
	v := a.View()
	ls := strings.Split(v, "\n")
	if len(ls) != 24 || !strings.Contains(v, "╭─ Sources") || !strings.Contains(v, "╰──") {
		t.Fatalf("the panel does not fit 80×24 whole:\n%s", v)
	}
	for _, src := range vendors.Names() {
		if !strings.Contains(v, "✖ "+src) {
			t.Errorf("the panel lacks %s:\n%s", src, v)
		}
	}
	if !strings.Contains(v, "…") {
		t.Errorf("errors too long for the panel should end in …:\n%s", v)
	}
}
