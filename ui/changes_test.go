package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/events"
)

// seedChanges stores what the Changes panel reads: Ava Medium→Critical
// and Søren Low→High in Cloudflare, Zoë High→Low, Max new at Critical in
// CASB, Oracle CASB turning degraded, and a burst of 135 failed sign-ins
// by 40 people from 198.18.7.0/24, all in the last hour.
func seedChanges(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	cf := func(email string, l model.Level) model.UserRisk {
		return model.UserRisk{Vendor: "cloudflare", UserID: "cf-" + email, Email: email, Level: l, Score: model.NoScore}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.PutUserRisks(ctx, "cloudflare", fixtureNow.Add(-30*time.Hour), []model.UserRisk{
		cf("ava.chen@example.com", model.LevelMedium), cf("soren.muller@example.com", model.LevelLow), cf("zoe.obrien@example.com", model.LevelHigh)}))
	must(st.PutUserRisks(ctx, "cloudflare", fixtureNow.Add(-3*time.Minute), []model.UserRisk{
		cf("ava.chen@example.com", model.LevelCritical), cf("soren.muller@example.com", model.LevelHigh), cf("zoe.obrien@example.com", model.LevelLow)}))
	must(st.PutUserRisks(ctx, "casb", fixtureNow.Add(-12*time.Minute), []model.UserRisk{
		{Vendor: "casb", Email: "max.k@example.com", Level: model.LevelCritical, Score: 95}}))
	must(st.RecordHealth(ctx, model.HealthChange{Source: "casb", At: fixtureNow.Add(-5 * time.Minute), From: model.StateOK,
		To: model.StateDegraded, Error: "503 Service Unavailable"}))
	var burst []model.Event
	for i := range 135 {
		u := i % 40
		burst = append(burst, model.Event{Vendor: "onelogin", ID: fmt.Sprintf("burst-%d", i), Time: fixtureNow.Add(-10*time.Minute + time.Duration(i)*time.Second),
			Type: 6, TypeName: "USER_FAILED_ONELOGIN_LOGIN", UserID: fmt.Sprint(9000 + u), UserName: fmt.Sprintf("Target %d", u),
			IP: fmt.Sprintf("198.18.7.%d", 100+i%57), Score: 80, Level: model.LevelCritical})
	}
	if _, err := st.PutEvents(ctx, burst); err != nil {
		t.Fatal(err)
	}
}

// newChangesApp is the fixture dashboard with seedChanges in its store,
// for the operator who.
func newChangesApp(t testing.TB, st store.Store, who string, w, h int) *App {
	t.Helper()
	a := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: asciiTheme(), Title: "acme", Actor: actions.Actor(who),
		Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: w, Height: h})
	drive(a, a.Init())
	drive(a, hubMsg(fixtureMsgs()))
	return a
}

func changesStore(t testing.TB) store.Store {
	t.Helper()
	st := emptyStore(t)
	if _, err := st.PutEvents(context.Background(), fixtureEvents(400)); err != nil {
		t.Fatal(err)
	}
	seedChanges(t, st)
	return st
}

// changeRows are the Changes panel's lines as drawn.
func changeRows(t *testing.T, a *App) []string {
	t.Helper()
	return screenRows(t, a, "Changes", "OneLogin risk")
}

// TestChangesPanel: on a first look the panel shows the last 24h: the new
// range first, then rises (Ava's and Søren's), Max new at Critical, Zoë's
// fall and CASB's health, each once.
func TestChangesPanel(t *testing.T) {
	a := newChangesApp(t, changesStore(t), "alice", 160, 48)
	rows := changeRows(t, a)
	all := strings.Join(rows, "\n")
	want := []string{
		"198.18.7.0/24: 57 addresses, 40 people, 135 failures",
		"↑ Medium→Critical  Ava Chen · 3m ago · Cloudflare",
		"↑ Low→High  Søren Müller · 3m ago · Cloudflare",
		"★ new Critical  Maximiliana",
		"↓ High→Low  Zoë O'Brien",
		"● Oracle CASB: ok → degraded · 5m ago: 503 Service Unavailable",
	}
	last := -1
	for _, w := range want {
		i := strings.Index(all, w)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in:\n%s", w, all)
		}
		last = i
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), all)
	}
	if v := a.View(); !strings.Contains(v, "Changes · last 24h (your first look) (c)") {
		t.Fatalf("the title does not say the window:\n%s", v)
	}
}

// TestChangesFitAt80x24: three lines and "↓ N more", and the Overview's
// other parts still show.
func TestChangesFitAt80x24(t *testing.T) {
	a := newChangesApp(t, changesStore(t), "alice", 80, 24)
	v := a.View()
	if n := len(strings.Split(v, "\n")); n != 24 {
		t.Fatalf("%d lines", n)
	}
	for _, w := range []string{"↓ 3 more", "198.18.7.0/24", "OneLogin risk", "Trends", "Riskiest people"} {
		if !strings.Contains(v, w) {
			t.Fatalf("no %q at 80×24:\n%s", w, v)
		}
	}
}

// TestChangesCursor: ↑ from the first person goes to the Changes; enter
// on a person opens their drill-down, on the range the Events tab
// filtered to it over the window shown.
func TestChangesCursor(t *testing.T) {
	a := newChangesApp(t, changesStore(t), "alice", 160, 48)
	drive(a, press("up")) // from the first person: the last change
	rows := changeRows(t, a)
	if selectedRow(rows) != len(rows)-1 {
		t.Fatalf("↑ from the people did not reach the last change:\n%s", strings.Join(rows, "\n"))
	}
	drive(a, press("g"))
	drive(a, press("j"))
	rows = changeRows(t, a)
	if selectedRow(rows) != 1 || !strings.Contains(rows[1], "Ava Chen") {
		t.Fatalf("the cursor is not on Ava:\n%s", strings.Join(rows, "\n"))
	}
	drive(a, press("enter"))
	if a.drill == nil || a.drill.Key() != "ava.chen@example.com" {
		t.Fatalf("enter on Ava opened %v", a.drill)
	}
	drive(a, press("esc"))
	drive(a, press("k"))
	drive(a, press("enter"))
	f := a.screens[tabEvents].(*events.Screen).Filter()
	if a.tab != tabEvents || f.IP != "198.18.7.0/24" || !f.From.Equal(fixtureNow.Add(-24*time.Hour)) {
		t.Fatalf("enter on the range: tab %d, filter %+v", a.tab, f)
	}
}

// TestChangesCursorFollowsItsLine: once moved, the cursor stays on its
// line when a new change comes in above it, and the title says so.
func TestChangesCursorFollowsItsLine(t *testing.T) {
	st := changesStore(t)
	a := newChangesApp(t, st, "alice", 160, 48)
	drive(a, press("up"))
	drive(a, press("g"))
	drive(a, press("j")) // Ava
	// A second new range, with fewer failures than the first: a line above hers.
	var more []model.Event
	for i := range 25 {
		more = append(more, model.Event{Vendor: "onelogin", ID: fmt.Sprintf("more-%d", i), Time: fixtureNow.Add(-time.Minute),
			TypeName: "USER_FAILED_ONELOGIN_LOGIN", UserID: "7", UserName: "Target 7", IP: fmt.Sprintf("192.0.2.%d", i+1), Score: 50})
	}
	if _, err := st.PutEvents(context.Background(), more); err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.EventsMsg{Vendor: "onelogin", Inserted: 1, Newest: fixtureNow}})
	rows := changeRows(t, a)
	sel := selectedRow(rows)
	if sel < 0 || !strings.Contains(rows[sel], "Ava Chen") {
		t.Fatalf("the cursor left Ava:\n%s", strings.Join(rows, "\n"))
	}
	if v := a.View(); !strings.Contains(v, "Ava Chen moved ↓ 1 as changes came in") {
		t.Fatalf("no drift notice:\n%s", v)
	}
}

// TestChangesSincePerOperator: leaving the Overview stores what alice saw;
// her next look shows nothing older, while bob, who never looked, still
// sees every change. m marks seen at once.
func TestChangesSincePerOperator(t *testing.T) {
	st := changesStore(t)
	alice := newChangesApp(t, st, "alice", 160, 48)
	if rows := changeRows(t, alice); len(rows) != 6 {
		t.Fatalf("alice's first look:\n%s", strings.Join(rows, "\n"))
	}
	drive(alice, press("2")) // leaves the Overview: the mark moves
	drive(alice, press("1"))
	if v := alice.View(); !strings.Contains(v, "No changes since you last looked at 14:30") {
		t.Fatalf("alice's second look:\n%s", v)
	}
	bob := newChangesApp(t, st, "bob", 160, 48)
	if rows := changeRows(t, bob); len(rows) != 6 {
		t.Fatalf("alice's look cleared bob's changes:\n%s", strings.Join(rows, "\n"))
	}
	// While bob reads, his mark stays: the data changing reloads the same window.
	drive(bob, hubMsg{hub.EventsMsg{Vendor: "onelogin", Inserted: 1, Newest: fixtureNow}})
	if m, err := st.ChangeMark(context.Background(), "bob"); err != nil || !m.At.IsZero() {
		t.Fatalf("bob's mark moved while he read: %+v %v", m, err)
	}
	drive(bob, press("m"))
	if v := bob.View(); !strings.Contains(v, "No changes since you last looked at 14:30") {
		t.Fatalf("after m:\n%s", v)
	}
	if m, err := st.ChangeMark(context.Background(), "bob"); err != nil || !m.At.Equal(fixtureNow.Add(time.Millisecond)) || m.People["max.k@example.com"] != model.LevelCritical {
		t.Fatalf("bob's mark after m: %+v %v", m, err)
	}
}

// TestChangesBelowTheFoldStayNew: at 80×24 the panel shows three of its
// six lines; leaving does not mark the three never on screen, so the
// next look lists them again. Once every line has been on screen,
// leaving marks them all.
func TestChangesBelowTheFoldStayNew(t *testing.T) {
	st := changesStore(t)
	a := newChangesApp(t, st, "alice", 80, 24)
	if v := a.View(); !strings.Contains(v, "↓ 3 more") {
		t.Fatalf("not three below the fold:\n%s", v)
	}
	drive(a, press("2"))
	if m, err := st.ChangeMark(context.Background(), "alice"); err != nil || !m.At.IsZero() {
		t.Fatalf("leaving with lines unseen moved the mark: %+v %v", m, err)
	}
	drive(a, press("1"))
	v := a.View()
	if !strings.Contains(v, "last 24h (your first look)") || !strings.Contains(v, "· 6 ·") || !strings.Contains(v, "↓ 3 more") {
		t.Fatalf("the lines below the fold are gone:\n%s", v)
	}
	drive(a, press("up")) // from the first person: the last change, the rest above it
	a.View()
	drive(a, press("2"))
	drive(a, press("1"))
	if v := a.View(); !strings.Contains(v, "No changes since you last looked at 14:30") {
		t.Fatalf("every line seen, yet:\n%s", v)
	}
}

// TestChangesBelowTheFoldAfterAMark: with a mark, leaving with lines never
// on screen keeps the mark's time and adds the people whose lines were
// seen; the next look lists only the people not yet seen.
func TestChangesBelowTheFoldAfterAMark(t *testing.T) {
	st := changesStore(t)
	now := fixtureNow
	a := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: asciiTheme(), Title: "acme", Actor: "alice",
		Now: func() time.Time { return now }, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(a, a.Init())
	drive(a, hubMsg(fixtureMsgs()))
	drive(a, press("m"))
	drive(a, press("2"))
	marked, err := st.ChangeMark(context.Background(), "alice")
	if err != nil || marked.At.IsZero() {
		t.Fatalf("m set no mark: %+v %v", marked, err)
	}
	// Five people new at Critical since: three lines fit.
	var fresh []model.UserRisk
	for i := range 5 {
		fresh = append(fresh, model.UserRisk{Vendor: "casb", Email: fmt.Sprintf("new%d@example.com", i), Level: model.LevelCritical, Score: 95})
	}
	if err := st.PutUserRisks(context.Background(), "casb", fixtureNow.Add(5*time.Minute), fresh); err != nil {
		t.Fatal(err)
	}
	now = fixtureNow.Add(10 * time.Minute)
	drive(a, press("1"))
	if v := a.View(); !strings.Contains(v, "· 5 ·") || !strings.Contains(v, "↓ 2 more") {
		t.Fatalf("not five new people, two below the fold:\n%s", v)
	}
	drive(a, press("2"))
	m, err := st.ChangeMark(context.Background(), "alice")
	if err != nil || !m.At.Equal(marked.At) {
		t.Fatalf("leaving with lines unseen moved the mark: %+v (was %v) %v", m, marked.At, err)
	}
	seen := 0
	for i := range 5 {
		if m.People[fmt.Sprintf("new%d@example.com", i)] == model.LevelCritical {
			seen++
		}
	}
	if seen != 3 {
		t.Fatalf("%d of the five marked seen, not the three drawn: %+v", seen, m.People)
	}
	drive(a, press("1"))
	if rows := changeRows(t, a); len(rows) != 2 {
		t.Fatalf("not the two unseen:\n%s", strings.Join(rows, "\n"))
	}
}

// TestChangesWindows: c cycles the window, and the title says which.
func TestChangesWindows(t *testing.T) {
	a := newChangesApp(t, changesStore(t), "alice", 160, 48)
	for _, want := range []string{"Changes · last 1h (c)", "Changes · last 24h (c)", "Changes · last 7d (c)", "Changes · last 24h (your first look) (c)"} {
		drive(a, press("c"))
		if v := a.View(); !strings.Contains(v, want) {
			t.Fatalf("no %q:\n%s", want, v)
		}
	}
	drive(a, press("c")) // the last hour: Zoë's fall 3m ago is in it, the old readings are not
	if rows := changeRows(t, a); len(rows) != 6 {
		t.Fatalf("last 1h:\n%s", strings.Join(rows, "\n"))
	}
}

// TestGoldenChanges draws the Overview with the Changes through a running
// program (teatest), at 80×24 and 160×48.
func TestGoldenChanges(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			f := newFlowWith(t, 400, func(d *Deps) { seedChanges(t, d.Store); d.Actor = "alice" })
			f.tm.Send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			f.see("198.18.7.0/24", "Riskiest addresses")
			f.keys("up")
			a := f.final()
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}

// TestGoldenTimeline draws Ava's drill-down with her timeline: her level
// in Cloudflare (Medium, then Critical 3 minutes ago) and her scored
// sign-ins, on one axis, at 80×24 and 160×48; t, t switch to 24h.
func TestGoldenTimeline(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			a := newChangesApp(t, changesStore(t), "alice", sz.w, sz.h)
			drive(a, a.c.OpenUser("ava.chen@example.com"))
			drive(a, a.answer())
			v := a.View()
			if !strings.Contains(v, "Risk over time · 7d (t)") || !strings.Contains(v, "CF") {
				t.Fatalf("no timeline:\n%s", v)
			}
			drive(a, press("t"))
			drive(a, press("t"))
			if v := a.View(); !strings.Contains(v, "Risk over time · 24h (t)") {
				t.Fatalf("t, t did not show 24h:\n%s", v)
			}
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}

// TestTrendsPanel: the Overview's trends count each bucket from the
// store (the Critical row is the events scoring 76 or more) against the
// window before, when it was stored; t switches to 90 days by the day and, at 80 columns,
// to the events per minute in turn.
func TestTrendsPanel(t *testing.T) {
	evs := fixtureEvents(400)
	critical := 0
	for _, e := range evs {
		if e.Score >= 76 {
			critical++
		}
	}
	a := newFixtureApp(t, 160, 48, 400)
	row := func(a *App, label string) string {
		for _, l := range strings.Split(a.View(), "\n") {
			if strings.HasPrefix(l, label) {
				return l
			}
		}
		t.Fatalf("no %q row:\n%s", label, a.View())
		return ""
	}
	// The fixture's events are of the last hour and a half: the 24h
	// before were not stored, so there is nothing to compare with.
	if r := row(a, "Critical  "); !strings.Contains(r, fmt.Sprintf(" %d ", critical)) || strings.ContainsAny(r, "↑↓=") {
		t.Fatalf("Critical row %q, want %d events and no change", r, critical)
	}
	if v := a.View(); !strings.Contains(v, "Trends · 24h by the hour (t) · stored since 13:00, too new to compare") {
		t.Fatalf("the title does not say the window before was not stored:\n%s", v)
	}
	// With an event stored before the 24h before, they compare.
	st := emptyStore(t)
	old := fixtureEvents(1)[0]
	old.ID, old.Time, old.Score = "old", fixtureNow.Add(-50*time.Hour), 10
	if _, err := st.PutEvents(context.Background(), append(evs, old)); err != nil {
		t.Fatal(err)
	}
	stored := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: asciiTheme(), Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(stored, tea.WindowSizeMsg{Width: 160, Height: 48})
	drive(stored, stored.Init())
	if r := row(stored, "Critical  "); !strings.Contains(r, fmt.Sprintf(" %d ↑ new", critical)) {
		t.Fatalf("Critical row %q, want %d events, new against the 24h before", r, critical)
	}
	if v := stored.View(); !strings.Contains(v, "Trends · 24h by the hour, vs the 24h before (t)") {
		t.Fatalf("stored since before the 24h before, yet:\n%s", v)
	}
	drive(a, press("t"))
	if v := a.View(); !strings.Contains(v, "Trends · 90d by the day (t) · stored since 13:00") || !strings.Contains(v, "Events per minute") {
		t.Fatalf("t at 160 columns:\n%s", v)
	}
	narrow := newFixtureApp(t, 80, 24, 400)
	for _, want := range []string{"Trends · 90d by the day", "Events per minute", "Trends · 24h by the hour"} {
		drive(narrow, press("t"))
		if v := narrow.View(); !strings.Contains(v, want) {
			t.Fatalf("no %q at 80 columns:\n%s", want, v)
		}
	}
}

// TestChangesTextIsClean: a person's key from the store with escape
// sequences in it reaches the screen cleaned.
func TestChangesTextIsClean(t *testing.T) {
	st := emptyStore(t)
	ctx := context.Background()
	bad := model.UserRisk{Vendor: "cloudflare", UserID: "x\x1b]52;c;AAAA\x07y", Level: model.LevelLow, Score: model.NoScore}
	if err := st.PutUserRisks(ctx, "cloudflare", fixtureNow.Add(-2*time.Hour), []model.UserRisk{bad}); err != nil {
		t.Fatal(err)
	}
	bad.Level = model.LevelCritical
	if err := st.PutUserRisks(ctx, "cloudflare", fixtureNow.Add(-time.Minute), []model.UserRisk{bad}); err != nil {
		t.Fatal(err)
	}
	a := newChangesApp(t, st, "alice", 160, 48)
	v := a.View()
	if !strings.Contains(v, "↑ Low→Critical") || strings.ContainsAny(v, "\x1b\x07") {
		t.Fatalf("the change is missing or not clean: %q", v)
	}
}

// TestChangesMarkOnQuit: quitting after the Changes were shown stores
// the operator's mark (through a running program: the store write runs
// before the program ends).
func TestChangesMarkOnQuit(t *testing.T) {
	var st store.Store
	f := newFlowWith(t, 400, func(d *Deps) { seedChanges(t, d.Store); d.Actor = "carol"; st = d.Store })
	f.tm.Send(tea.WindowSizeMsg{Width: 160, Height: 48})
	f.see("198.18.7.0/24", "Riskiest addresses")
	if m, err := st.ChangeMark(context.Background(), "carol"); err != nil || !m.At.IsZero() {
		t.Fatalf("the mark moved while carol read: %+v %v", m, err)
	}
	f.final()
	m, err := st.ChangeMark(context.Background(), "carol")
	if err != nil || !m.At.Equal(fixtureNow.Add(time.Millisecond)) || m.People["ava.chen@example.com"] != model.LevelCritical {
		t.Fatalf("carol's mark after quitting: %+v %v", m, err)
	}
}
