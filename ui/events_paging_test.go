package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/words"
)

// growingApp is the fixture on a store in a file, which the test adds to
// between keys as the pollers would.
type growingApp struct {
	t   *testing.T
	a   *App
	st  store.Store
	seq int
}

func newGrowingApp(t *testing.T, w, h, events int) *growingApp {
	st, err := store.Open(filepath.Join(t.TempDir(), "risktop.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.PutEvents(context.Background(), fixtureEvents(events)); err != nil {
		t.Fatal(err)
	}
	a := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: asciiTheme(), Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: w, Height: h})
	drive(a, a.Init())
	drive(a, hubMsg(fixtureMsgs()))
	return &growingApp{t: t, a: a, st: st}
}

// add stores n events at times at(seq), seq numbering every event added,
// and announces them.
func (g *growingApp) add(n int, at func(i int) time.Time) {
	g.t.Helper()
	var evs []model.Event
	for range n {
		g.seq++
		score := (g.seq * 29) % 101
		evs = append(evs, model.Event{Vendor: "onelogin", ID: fmt.Sprint("grow-", g.seq), Time: at(g.seq), Type: 5,
			TypeName: "USER_LOGGED_INTO_ONELOGIN", UserName: "Ava Chen", IP: "198.51.100.7", Score: score, Level: model.LevelOfScore(score)})
	}
	if _, err := g.st.PutEvents(context.Background(), evs); err != nil {
		g.t.Fatal(err)
	}
	drive(g.a, hubMsg([]hub.Msg{hub.EventsMsg{Vendor: "onelogin", Inserted: n, Newest: fixtureNow}}))
}

// check asserts the status line's page n of m and total are where the
// rows shown stand in the store, in the screen's filter and order.
func (g *growingApp) check(step string) {
	g.t.Helper()
	es := g.a.eventsScreen()
	shown := es.Events()
	if len(shown) == 0 {
		g.t.Fatalf("%s: no rows shown", step)
	}
	var all []model.Event
	q := store.EventQuery{EventFilter: es.Filter(), Sort: es.Sort(), Limit: 500}
	for {
		p, err := g.st.Events(context.Background(), q)
		if err != nil {
			g.t.Fatal(err)
		}
		all = append(all, p.Events...)
		if !p.HasNext {
			break
		}
		q.After = p.LastKey
	}
	at := slices.IndexFunc(all, func(e model.Event) bool { return e.ID == shown[0].ID })
	if at < 0 || !slices.EqualFunc(all[at:at+len(shown)], shown, func(a, b model.Event) bool { return a.ID == b.ID }) {
		g.t.Fatalf("%s: the rows shown are not a stretch of the store's order", step)
	}
	size := g.a.eventsScreen().PageSize()
	n := (at+size-1)/size + 1
	m := n + (len(all)-at-len(shown)+size-1)/size
	want := fmt.Sprintf("page %d of %d · %s", n, m, words.Plural(len(all), "event"))
	if s := statusLine(g.t, g.a); !strings.HasPrefix(s, want) {
		g.t.Fatalf("%s: status %q, want %q (rows from %d of %d, %d a page)", step, s, want, at, len(all), size)
	}
}

// Page numbers, totals and rows agree with the store after any mix of
// g, G, [, ], filter changes and arriving events, new and back-filled.
func TestPagingStaysTrueAsTheStoreGrows(t *testing.T) {
	g := newGrowingApp(t, 120, 30, 400)
	// New events each newer than the last; history from 20 hours ago.
	now := func(seq int) time.Time { return fixtureNow.Add(time.Duration(seq) * time.Millisecond) }
	history := func(i int) time.Time { return fixtureNow.Add(-20*time.Hour - time.Duration(i)*time.Minute) }
	steps := []struct {
		do    string // keys, "+N" new events, "hN" back-filled history
		newer int    // the "newer" the status must say (0: none)
	}{
		{do: "2"}, {do: "G"}, {do: "["}, {do: "]"}, {do: "G"}, {do: "["}, {do: "["},
		{do: "+3", newer: 3}, {do: "[", newer: 3}, {do: "h40", newer: 3}, {do: "]", newer: 3}, {do: "G", newer: 3},
		{do: "g"}, {do: "+5"}, {do: "h30"}, {do: "]"}, {do: "h25"}, {do: "+2", newer: 2},
		// Two rows above page 2 now: [ shows the rows just above it, page 2
		// still, with the 2 newer above; [ again is the top.
		{do: "[", newer: 2}, {do: "[", newer: 0},
		{do: "/score>=50"}, {do: "G"}, {do: "+6", newer: 3}, {do: "[", newer: 3}, {do: "s"}, {do: "]"}, {do: "h50"}, {do: "G"}, {do: "["},
		{do: "g"}, {do: "+4", newer: 2}, {do: "s"}, {do: "+4"}, {do: "]"},
	}
	for i, s := range steps {
		step := fmt.Sprintf("step %d (%s)", i, s.do)
		switch {
		case strings.HasPrefix(s.do, "+"):
			var n int
			fmt.Sscan(s.do[1:], &n)
			g.add(n, now)
		case strings.HasPrefix(s.do, "h"):
			var n int
			fmt.Sscan(s.do[1:], &n)
			g.add(n, history)
		case strings.HasPrefix(s.do, "/"):
			keysOf(g.a, "/")
			typeLine(g.a, s.do[1:])
			keysOf(g.a, "enter")
		default:
			keysOf(g.a, s.do)
		}
		g.check(step)
		status := statusLine(t, g.a)
		if s.newer > 0 != strings.Contains(status, "newer") ||
			s.newer > 0 && !strings.Contains(status, fmt.Sprintf("%d newer since you left the top", s.newer)) {
			t.Fatalf("%s: status %q, want %d newer", step, status, s.newer)
		}
	}
}

// TestEventsCursorKeepsItsEventAsEventsArrive: on Events the cursor stays
// on the first row until the operator moves it; once moved it stays on
// the same event (rows are keyed by vendor and id) as new events push the
// page down or a back-filled one lands above it on a later page, the
// screen says it moved, and p pushes that event's address.
func TestEventsCursorKeepsItsEventAsEventsArrive(t *testing.T) {
	g := newGrowingApp(t, 120, 30, 400)
	setDeps(g.a, func(d *Deps) { d.Actions = &fakeActions{}; d.Actor = "ops@bastion" })
	es := g.a.eventsScreen()
	now := func(seq int) time.Time { return fixtureNow.Add(time.Duration(seq) * time.Millisecond) }
	rows := func() []string { return screenRows(t, g.a, " Time ", "") }
	keysOf(g.a, "2")

	g.add(3, now)
	if sel := selectedRow(rows()); sel != 0 || es.Events()[0].ID != "grow-3" {
		t.Fatalf("not moved, the cursor left the first row (row %d):\n%s", sel, g.a.View())
	}

	keysOf(g.a, "j", "j", "j")
	chosen := es.Events()[3]
	g.add(5, now) // the top page follows the newest: the chosen row moves down 5
	got := rows()
	if sel := selectedRow(got); sel != 8 || es.Events()[sel].ID != chosen.ID || !strings.Contains(got[sel], chosen.IP) {
		t.Fatalf("the cursor left %s (%s) for row %d:\n%s", chosen.ID, chosen.IP, sel, g.a.View())
	}
	if !strings.Contains(g.a.View(), chosen.UserName+"'s 14:29 event moved ↓ 5 as events arrived") {
		t.Fatalf("no word that the row moved:\n%s", g.a.View())
	}

	// Page 2, moved to its third row; an event back-filled just above it.
	keysOf(g.a, "]", "j", "j")
	chosen = es.Events()[2]
	if _, err := g.st.PutEvents(context.Background(), []model.Event{{Vendor: "onelogin", ID: "late-1", Time: chosen.Time.Add(time.Millisecond),
		Type: 5, TypeName: "USER_LOGGED_INTO_ONELOGIN", UserName: "Ben Okafor", IP: "192.0.2.99", Score: 12, Level: model.LevelLow}}); err != nil {
		t.Fatal(err)
	}
	drive(g.a, hubMsg([]hub.Msg{hub.EventsMsg{Vendor: "onelogin", Inserted: 1, Newest: fixtureNow}}))
	got = rows()
	sel := selectedRow(got)
	if sel != 3 || es.Events()[sel].ID != chosen.ID || es.Events()[2].ID != "late-1" {
		t.Fatalf("the cursor left %s (%s) for row %d:\n%s", chosen.ID, chosen.IP, sel, g.a.View())
	}
	keysOf(g.a, "p")
	if v := g.a.View(); !strings.Contains(v, "Push IP risk to Okta") || !strings.Contains(v, "▸ IP      "+chosen.IP+" ") {
		t.Fatalf("p does not push %s:\n%s", chosen.IP, v)
	}
}
