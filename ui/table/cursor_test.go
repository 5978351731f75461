package table

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

// keyed is rows named by keys, in that order, each labelled with its key
// in capitals.
func keyed(keys ...string) []Row {
	rows := make([]Row, len(keys))
	for i, k := range keys {
		rows[i] = Row{Cells: []string{k}, Key: k, Label: strings.ToUpper(k)}
	}
	return rows
}

func people(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%02d", i)
	}
	return out
}

func newKeyed(h int, keys ...string) Model {
	m := New(StylesFrom(newTheme(termenv.Ascii)), Column{Title: "Who", Flex: 1})
	m.SetSize(20, h)
	m.SetRows(keyed(keys...))
	return m
}

func selectedKey(m Model) string {
	r, _ := m.Selected()
	return r.Key
}

func key1(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// TestCursorStaysOnFirstRowUntilMoved: the back-fill case. Rows re-sort
// as data arrives; the untouched cursor stays on the first row and the
// window at the top, instead of following whoever was first down the
// list (the view scrolled past every Critical person, the cursor on a
// "High 15" at the bottom).
func TestCursorStaysOnFirstRowUntilMoved(t *testing.T) {
	keys := people(30)
	m := newKeyed(6, keys...)
	first := keys[0]
	// p00 sinks to the bottom as others outrank it.
	m.SetRows(keyed(append(keys[1:], first)...))
	if m.Cursor() != 0 || m.Offset() != 0 || selectedKey(m) != "p01" || !m.Pinned() {
		t.Fatalf("cursor %d offset %d on %q pinned %v, want the first row", m.Cursor(), m.Offset(), selectedKey(m), m.Pinned())
	}
	if !m.Drift().Zero() {
		t.Fatalf("drift %+v while pinned", m.Drift())
	}
	// k on the first row does not move it: still pinned.
	m, _ = m.Update(key1("k"))
	m.SetRows(keyed(keys...))
	if selectedKey(m) != "p00" || !m.Pinned() {
		t.Fatalf("after k on the first row: %q pinned %v", selectedKey(m), m.Pinned())
	}
}

// TestCursorFollowsItsRowOnceMoved: after j the cursor stays on the same
// row by key wherever it moves, and Drift says how far it went, adding
// up until the operator moves again; g pins it to the top again.
func TestCursorFollowsItsRowOnceMoved(t *testing.T) {
	keys := people(30)
	m := newKeyed(6, keys...)
	m, _ = m.Update(key1("j")) // p01
	if m.Pinned() || selectedKey(m) != "p01" {
		t.Fatalf("after j: %q pinned %v", selectedKey(m), m.Pinned())
	}
	// p01 falls to index 13.
	order := append([]string{"p00"}, keys[2:14]...)
	order = append(order, "p01")
	order = append(order, keys[14:]...)
	m.SetRows(keyed(order...))
	if selectedKey(m) != "p01" || m.Cursor() != 13 {
		t.Fatalf("cursor on %q at %d, want p01 at 13", selectedKey(m), m.Cursor())
	}
	if got := m.Drift().Text("as scores changed"); got != "P01 moved ↓ 12 as scores changed" {
		t.Fatalf("drift %q", got)
	}
	checkLines(t, m)
	if !strings.Contains(m.View(), ">p01") {
		t.Fatalf("the selected row is out of view:\n%s", m.View())
	}
	// It climbs back 2 of those: the notice counts from where the
	// operator left it.
	order2 := append([]string(nil), order...)
	order2[13], order2[11] = order2[11], order2[13]
	m.SetRows(keyed(order2...))
	if got := m.Drift().Text(""); got != "P01 moved ↓ 10" {
		t.Fatalf("drift %q", got)
	}
	// Up the list.
	m.SetCursor(20)
	up := append([]string{m.rows[20].Key}, keys...)
	m.SetRows(keyed(dedupe(up)...))
	if got := m.Drift().Text("as scores changed"); !strings.Contains(got, "moved ↑ ") {
		t.Fatalf("drift %q", got)
	}
	// A key move clears the notice.
	m, _ = m.Update(key1("j"))
	if !m.Drift().Zero() {
		t.Fatalf("drift %+v after a move", m.Drift())
	}
	// g: pinned again.
	m, _ = m.Update(key1("g"))
	m.SetRows(keyed(append(keys[5:], keys[:5]...)...))
	if !m.Pinned() || m.Cursor() != 0 || selectedKey(m) != "p05" {
		t.Fatalf("after g: %q at %d pinned %v", selectedKey(m), m.Cursor(), m.Pinned())
	}
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// TestSelectedRowLeaves: the cursor goes to the next row still listed
// (else the one before) and Drift names the row that left.
func TestSelectedRowLeaves(t *testing.T) {
	m := newKeyed(6, "a", "b", "c", "d", "e")
	m.SetCursor(2) // c
	m.SetRows(keyed("e", "a", "b", "d"))
	if selectedKey(m) != "d" {
		t.Fatalf("after c left: on %q, want d (its next neighbour)", selectedKey(m))
	}
	if got := m.Drift().Text("as scores changed"); got != "C left the list; the cursor is on D" {
		t.Fatalf("drift %q", got)
	}
	m.SetCursor(3) // d, the last
	m.SetRows(keyed("e", "a", "b"))
	if selectedKey(m) != "b" {
		t.Fatalf("after d left: on %q, want b (the one before it)", selectedKey(m))
	}
	m.SetRows(nil)
	if got := m.Drift().Text(""); got != "B left the list" {
		t.Fatalf("drift %q", got)
	}
	checkLines(t, m)
}

// TestRowsWithoutKeysKeepTheIndex: a table whose rows have no keys (a
// page of a store query) keeps the cursor's index once moved.
func TestRowsWithoutKeysKeepTheIndex(t *testing.T) {
	m := newEvents(newTheme(termenv.Ascii), 80, 8, 10)
	m.SetCursor(4)
	m.SetRows(eventRows(levelStyles(newTheme(termenv.Ascii)), 10))
	if m.Cursor() != 4 || !m.Drift().Zero() {
		t.Fatalf("cursor %d drift %+v", m.Cursor(), m.Drift())
	}
}

// TestMoreCounts: rows above and below the window are counted.
func TestMoreCounts(t *testing.T) {
	m := newKeyed(6, people(60)...) // 5 visible
	if m.More() != "↓ 55 more" {
		t.Fatalf("at the top: %q", m.More())
	}
	m.SetCursor(20)
	if m.Above() != 16 || m.Below() != 39 || m.More() != "↑ 16 more · ↓ 39 more" {
		t.Fatalf("above %d below %d %q", m.Above(), m.Below(), m.More())
	}
	m.Bottom()
	if m.More() != "↑ 55 more" {
		t.Fatalf("at the bottom: %q", m.More())
	}
	few := newKeyed(6, "a", "b")
	if few.More() != "" {
		t.Fatalf("all in view: %q", few.More())
	}
	big := newKeyed(6, people(1)...)
	big.SetRows(keyed(append(people(2000), "x")...))
	if big.More() != "↓ 1,996 more" {
		t.Fatalf("thousands: %q", big.More())
	}
}
