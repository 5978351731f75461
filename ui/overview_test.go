package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/ui/events"
)

// overviewRows are the rows of the Overview's lists (people left,
// addresses right), as drawn.
func overviewRows(t *testing.T, a *App) []string {
	t.Helper()
	return screenRows(t, a, "Riskiest people", "")
}

// TestOverviewCursor: the Overview's people and addresses are selectable.
// The cursor starts on the first person; j moves it, enter opens that
// person's drill-down; → moves to the addresses, where enter shows the
// Events tab filtered to the address.
func TestOverviewCursor(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	rows := overviewRows(t, a)
	if selectedRow(rows) != 0 || !strings.Contains(rows[0], "Critical (CASB 90) Ava Chen") {
		t.Fatalf("the cursor is not on the first person:\n%s", strings.Join(rows, "\n"))
	}
	drive(a, press("j"))
	rows = overviewRows(t, a)
	if selectedRow(rows) != 1 || !strings.Contains(rows[1], "Maximiliana") {
		t.Fatalf("j did not move to the second person:\n%s", strings.Join(rows, "\n"))
	}
	drive(a, press("enter"))
	if a.drill == nil || a.drill.Key() != "max.k@example.com" {
		t.Fatalf("enter opened %v", a.drill)
	}
	drive(a, press("esc"))

	drive(a, press("l"))
	rows = overviewRows(t, a)
	if strings.HasPrefix(rows[1], ">") || !strings.Contains(rows[0], "> ") {
		t.Fatalf("→ did not move the cursor to the addresses:\n%s", strings.Join(rows, "\n"))
	}
	ip := strings.Fields(rows[0][strings.Index(rows[0], "> ")+2:])[1]
	drive(a, press("enter"))
	if a.tab != tabEvents || a.screens[tabEvents].(*events.Screen).Filter().IP != ip {
		t.Fatalf("enter on %s: tab %d, filter %+v", ip, a.tab, a.screens[tabEvents].(*events.Screen).Filter())
	}
}

// TestOverviewCursorFollowsThePerson: once moved, the cursor stays on
// the same person when the list re-sorts under it; never moved, it stays
// on the first row.
func TestOverviewCursorFollowsThePerson(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	drive(a, press("j"))
	drive(a, press("j")) // Søren Müller, High
	// CASB now rates Søren Critical at 99: he is first.
	msgs := fixtureMsgs()
	for _, m := range msgs {
		if u, ok := m.(hub.UsersMsg); ok && u.Vendor == "casb" {
			for i := range u.Views {
				if u.Views[i].Email == "soren.muller@example.com" {
					u.Views[i].Level, u.Views[i].Score = model.LevelCritical, 99
				}
			}
			drive(a, hubMsg{u})
		}
	}
	rows := overviewRows(t, a)
	if sel := selectedRow(rows); sel != 0 || !strings.Contains(rows[0], "Søren Müller") {
		t.Fatalf("the cursor left Søren (row %d):\n%s", sel, strings.Join(rows, "\n"))
	}
	b := newFixtureApp(t, 80, 24, 400)
	for _, m := range msgs {
		if u, ok := m.(hub.UsersMsg); ok && u.Vendor == "casb" {
			drive(b, hubMsg{u})
		}
	}
	if rows := overviewRows(t, b); selectedRow(rows) != 0 || !strings.Contains(rows[0], "Søren Müller") {
		t.Fatalf("never moved, the cursor is not on the first row:\n%s", strings.Join(rows, "\n"))
	}
}

// TestOverviewTimeAxis: the events-per-minute chart has a time axis, a
// tick each quarter hour, in the dashboard's zone. (At 80 columns it
// takes the trends' band in turn: t, t.)
func TestOverviewTimeAxis(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	drive(a, press("t"))
	drive(a, press("t"))
	v := a.View()
	if !strings.Contains(v, "┴13:45") || !strings.Contains(v, "┴14:00") || !strings.Contains(v, "┴14:15") {
		t.Fatalf("no time axis:\n%s", v)
	}
	a.c.Loc = time.FixedZone("CET", 3600)
	drive(a, press(":"))
	drive(a, runes("tz local"))
	drive(a, press("enter"))
	if v := a.View(); !strings.Contains(v, "┴14:00") || strings.Contains(v, "┴15:00") {
		t.Fatalf("after :tz local (UTC here): %s", v)
	}
	// :tz utc from a CET dashboard redraws the axis in UTC.
	a.c.Loc = time.FixedZone("CET", 3600)
	a.data.Version++
	if v := a.View(); !strings.Contains(v, "┴15:00") {
		t.Fatalf("in CET:\n%s", v)
	}
}

// TestGoldenOverviewCursor draws the Overview with the cursor moved to the
// second address, through a running program (teatest), at 80×24 and
// 160×48.
func TestGoldenOverviewCursor(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			f := newFlow(t, 400)
			f.tm.Send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
			f.see("Riskiest addresses", "198.51.100.132", "No changes in the last 24h") // every read in
			f.keys("l", "j")
			a := f.final()
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}

// TestGoldenHelp80 is the help at 80×24: it fits the width, and scrolls.
func TestGoldenHelp80(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	drive(a, press("?"))
	golden.RequireEqual(t, []byte(a.View()))
}

// A person's level is described with the score of the vendor that gives
// it: Zoë is High in Cloudflare (no score) and Low at 60 in CASB, so she
// reads "High", not "High (CASB 60)"; Ava is Critical at 90 in CASB.
func TestRiskiestPeopleNameTheVendorOfTheirLevel(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	rows := strings.Join(overviewRows(t, a), "\n")
	if !strings.Contains(rows, "Critical (CASB 90) Ava Chen") {
		t.Fatalf("Ava:\n%s", rows)
	}
	for _, r := range strings.Split(rows, "\n") {
		if strings.Contains(r, "Zoë") && (!strings.Contains(r, "High ") || strings.Contains(r, "CASB")) {
			t.Fatalf("Zoë's row reads %q", r)
		}
	}
}
