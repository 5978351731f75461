package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
)

// screenRows are the lines of the view from the one after the line that
// starts with header up to the first blank one or the one that starts
// with end.
func screenRows(t *testing.T, a *App, header, end string) []string {
	t.Helper()
	lines := strings.Split(a.View(), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, header) {
			continue
		}
		var rows []string
		for _, r := range lines[i+1:] {
			if strings.TrimSpace(r) == "" || (end != "" && strings.HasPrefix(r, end)) {
				break
			}
			rows = append(rows, r)
		}
		return rows
	}
	t.Fatalf("no line starts with %q:\n%s", header, a.View())
	return nil
}

// selectedRow is the index of the row marked selected.
func selectedRow(rows []string) int {
	for i, r := range rows {
		if strings.HasPrefix(r, ">") {
			return i
		}
	}
	return -1
}

// TestNavigationKeys: every table, list and scrolled text moves with the
// keys it had before they shared one key map: ↑/k ↓/j, pgup/[ pgdn/],
// home/g end/G (not in the Cloudflare and outbox lists, which move by
// row and page), and no half pages (ctrl+u, ctrl+d).
func TestNavigationKeys(t *testing.T) {
	a := newFixtureApp(t, 80, 24, 400)
	withCloudflare(t, a)
	setDeps(a, func(d *Deps) { d.ExportDir, d.FreeSpace = t.TempDir(), plentyFree }) // should a key be taken for e
	var many []model.UserRisk
	for i := range 60 {
		many = append(many, model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprintf("cf-x%d", i),
			Email: fmt.Sprintf("user%02d@example.com", i), Level: model.LevelLow, RawLevel: "low", Score: model.NoScore, Events: 1})
	}
	drive(a, hubMsg{pollUsers("cloudflare", many)})

	t.Run("users", func(t *testing.T) {
		keysOf(a, "3")
		rows := func() []string { return screenRows(t, a, " Risk ", "enter opens") }
		first := rows()
		visible := len(first)
		if visible < 10 || selectedRow(first) != 0 {
			t.Fatalf("%d rows, selected %d", visible, selectedRow(first))
		}
		for _, c := range []struct {
			key  string
			sel  int  // the selected row on screen
			top  bool // the first row is the first person
			last bool // the last row is the last person
		}{
			{"j", 1, true, false}, {"down", 2, true, false}, {"k", 1, true, false}, {"up", 0, true, false},
			{"ctrl+d", 0, true, false}, {"]", visible - 1, false, false}, {"[", 0, true, false},
			{"pgdown", visible - 1, false, false}, {"pgup", 0, true, false},
			{"G", visible - 1, false, true}, {"ctrl+u", visible - 1, false, true}, {"g", 0, true, false},
			{"end", visible - 1, false, true}, {"home", 0, true, false},
		} {
			navKeys(a, c.key)
			got := rows()
			if s := selectedRow(got); s != c.sel {
				t.Fatalf("after %q: row %d selected, want %d:\n%s", c.key, s, c.sel, strings.Join(got, "\n"))
			}
			if top := got[0][1:] == first[0][1:]; top != c.top {
				t.Fatalf("after %q: first row %q", c.key, got[0])
			}
			if c.last {
				navKeys(a, "down") // at the last row: nothing moves
				if after := rows(); strings.Join(after, "\n") != strings.Join(got, "\n") {
					t.Fatalf("after %q: not at the last row:\n%s", c.key, strings.Join(got, "\n"))
				}
			}
		}
	})

	t.Run("behaviors", func(t *testing.T) {
		keysOf(a, "4")
		rows := func() []string { return screenRows(t, a, "   Behavior", "") }
		n := len(rows())
		if n < 3 {
			t.Fatalf("%d behaviors", n)
		}
		for _, c := range []struct {
			key string
			sel int
		}{
			{"j", 1}, {"down", 2}, {"k", 1}, {"G", 1}, {"end", 1}, {"ctrl+d", 1}, {"]", n - 1}, {"g", n - 1},
			{"home", n - 1}, {"up", n - 2}, {"[", 0}, {"pgdown", n - 1}, {"pgup", 0},
		} {
			navKeys(a, c.key)
			if s := selectedRow(rows()); s != c.sel {
				t.Fatalf("after %q: row %d selected, want %d", c.key, s, c.sel)
			}
		}
	})

	for _, c := range []struct {
		name, open, first, last string
		from                    int // the scrolled text's first line on screen
	}{
		{"help", "?", "Everywhere", "? or esc closes this help", 3},
		{"drill-down", "3 enter", "Critical  Ava Chen", "  198.51.100.", 3},
		{"event detail", "2 enter", "OneLogin event", "u opens the user", 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newFixtureApp(t, 80, 24, 400)
			keysOf(a, strings.Fields(c.open)...)
			body := func() []string { return strings.Split(a.View(), "\n")[c.from:23] }
			top := body()
			if !strings.HasPrefix(top[0], c.first) {
				t.Fatalf("opens on %q", top[0])
			}
			navKeys(a, "G")
			bottom := body()
			if bottom[0] == top[0] {
				t.Fatal("G did not scroll: the test needs a longer text")
			}
			for _, k := range []struct {
				from, key string
				want      []string // nil: moved from where it was
			}{
				{"g", "j", top[1:]}, {"g", "down", top[1:]}, {"g j", "k", top}, {"g j", "up", top},
				{"g", "ctrl+d", top}, {"G", "ctrl+d", bottom}, {"g", "ctrl+u", top}, {"G", "ctrl+u", bottom},
				{"g", "]", nil}, {"g", "pgdown", nil}, {"G", "[", nil}, {"G", "pgup", nil},
				{"g", "G", bottom}, {"g", "end", bottom}, {"G", "g", top}, {"G", "home", top},
			} {
				navKeys(a, strings.Fields(k.from)...)
				before := body()
				navKeys(a, k.key)
				got := body()
				switch {
				case k.want == nil && got[0] == before[0]:
					t.Fatalf("after %s %q: did not scroll", k.from, k.key)
				case k.want != nil && got[0] != k.want[0]:
					t.Fatalf("after %s %q: starts with %q, want %q", k.from, k.key, got[0], k.want[0])
				}
			}
			end := false
			for _, l := range bottom {
				end = end || strings.HasPrefix(l, c.last)
			}
			if !end {
				t.Fatalf("G does not show the end (%q):\n%s", c.last, strings.Join(bottom, "\n"))
			}
		})
	}
}

// navKeys presses keys, naming the ones press does not know.
func navKeys(a *App, keys ...string) {
	for _, k := range keys {
		switch k {
		case "home":
			drive(a, tea.KeyMsg{Type: tea.KeyHome})
		case "end":
			drive(a, tea.KeyMsg{Type: tea.KeyEnd})
		case "pgup":
			drive(a, tea.KeyMsg{Type: tea.KeyPgUp})
		case "pgdown":
			drive(a, tea.KeyMsg{Type: tea.KeyPgDown})
		case "ctrl+d":
			drive(a, tea.KeyMsg{Type: tea.KeyCtrlD})
		default:
			drive(a, press(k))
		}
	}
}
