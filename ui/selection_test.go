package ui

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// backfill is n Cloudflare people at level, with the fixture's own
// Cloudflare people (so none of them leaves), as one poll: the back-fill
// bringing riskier people in above the ones shown.
func backfill(from, n int, level model.Level, skip ...string) hub.Msg {
	var views []model.UserRisk
	for i, p := range fixturePeople {
		lv := []model.Level{model.LevelHigh, model.LevelMedium, model.LevelLow}[i%3]
		views = append(views, model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprintf("cf-%d", i), Email: p.email,
			Name: p.name, Level: lv, RawLevel: lv.String(), Score: model.NoScore, Events: 3 + i, LastSeen: fixtureNow})
	}
	for i := from; i < from+n; i++ {
		name := fmt.Sprintf("Backfill %03d", i)
		if slices.Contains(skip, name) {
			continue
		}
		views = append(views, model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprintf("bf-%d", i),
			Email: fmt.Sprintf("backfill%03d@example.com", i), Name: name,
			Level: level, RawLevel: level.String(), Score: 99 - i%7, Events: 1, LastSeen: fixtureNow})
	}
	return pollUsers("cloudflare", views)
}

// TestUsersCursorStaysOnTopDuringBackfill is the report: press 3
// during the back-fill and wait. The untouched cursor must stay on the
// first row, the view at the top (the riskiest people), however many
// riskier people arrive and re-sort the list; before, it followed whoever
// was first down the list, scrolling past every Critical person.
func TestUsersCursorStaysOnTopDuringBackfill(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	keysOf(a, "3")
	rows := func() []string { return screenRows(t, a, " Risk ", "enter opens") }
	for batch := 1; batch <= 4; batch++ {
		drive(a, hubMsg{backfill(0, batch*15, model.LevelCritical)})
		got := rows()
		if s := selectedRow(got); s != 0 {
			t.Fatalf("batch %d: the cursor is on row %d, want the first:\n%s", batch, s, strings.Join(got, "\n"))
		}
		if !strings.HasPrefix(got[0], ">Critical") {
			t.Fatalf("batch %d: the first row shown is %q, want a Critical person at the top", batch, got[0])
		}
		if strings.Contains(a.View(), " moved ") {
			t.Fatalf("batch %d: a move notice for an untouched cursor:\n%s", batch, a.View())
		}
	}
	if !strings.Contains(a.View(), "↓ 51 more") {
		t.Fatalf("rows below the window are not counted:\n%s", a.View())
	}
}

// TestUsersCursorFollowsThePersonItWasPutOn: once moved, the cursor
// stays on the same person, and the screen says their row moved and how
// far; when they leave the list it says so and picks their neighbour.
func TestUsersCursorFollowsThePersonItWasPutOn(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	keysOf(a, "3", "j")
	rows := func() []string { return screenRows(t, a, " Risk ", "") }
	before := rows()
	chosen := before[selectedRow(before)]
	var name string // the email
	for _, f := range strings.Fields(chosen[1:]) {
		if strings.Contains(f, "@") {
			name = f
		}
	}
	drive(a, hubMsg{backfill(0, 20, model.LevelCritical)})
	got := rows()
	s := selectedRow(got)
	if s < 0 || !strings.Contains(got[s], name) {
		t.Fatalf("the cursor left %q:\n%s", name, strings.Join(got, "\n"))
	}
	if !strings.Contains(a.View(), " moved ↓ 20 as scores changed") {
		t.Fatalf("no notice of the move:\n%s", a.View())
	}
	if !strings.Contains(a.View(), "↑ ") {
		t.Fatalf("rows above the window are not counted:\n%s", a.View())
	}
	// A key move: the notice goes.
	keysOf(a, "k", "k")
	if strings.Contains(a.View(), " moved ") {
		t.Fatalf("the notice stayed after a move:\n%s", a.View())
	}
	// The selected person leaves the list.
	got = rows()
	leaving := regexp.MustCompile(`Backfill \d+`).FindString(got[selectedRow(got)])
	if !strings.HasPrefix(leaving, "Backfill ") {
		t.Fatalf("selected %q, want a back-filled person", leaving)
	}
	drive(a, hubMsg{backfill(0, 20, model.LevelCritical, leaving)})
	if !strings.Contains(a.View(), leaving+" left the list; the cursor is on ") {
		t.Fatalf("no notice that %s left:\n%s", leaving, a.View())
	}
}

// TestGoldenUsersScrolled draws the Users list paged down a long list:
// the marker on the selected row and the rows above and below the window
// counted, at 80×24 and 160×48 (update with go test ./ui -update).
func TestGoldenUsersScrolled(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run(itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
			a := newFixtureApp(t, sz.w, sz.h, 400)
			drive(a, hubMsg{backfill(0, 90, model.LevelHigh)})
			keysOf(a, "3", "]", "]", "j")
			golden.RequireEqual(t, []byte(a.View()))
		})
	}
}
