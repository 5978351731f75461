package table

import (
	"math/rand/v2"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/ui/theme"
)

func newEvents(t *theme.Theme, w, h, n int) Model {
	m := New(StylesFrom(t), eventColumns()...)
	m.SetEmptyMessage("No events match the filter — press esc to clear it")
	m.SetSize(w, h)
	m.SetRows(eventRows(levelStyles(t), n))
	return m
}

func TestGolden(t *testing.T) {
	ascii := newTheme(termenv.Ascii)
	for _, tc := range []struct {
		name   string
		th     *theme.Theme
		w, h   int
		rows   int
		cursor int
	}{
		{"events_80x12", ascii, 80, 12, 8, 2},
		{"events_160x12", ascii, 160, 12, 8, 2},
		{"scrolled_80x6", ascii, 80, 6, 30, 20},
		{"narrow_30x5", ascii, 30, 5, 8, 1},
		{"empty_80x5", ascii, 80, 5, 0, 0},
		{"selection_truecolor_80x8", newTheme(termenv.TrueColor), 80, 8, 6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newEvents(tc.th, tc.w, tc.h, tc.rows)
			m.SetCursor(tc.cursor)
			checkLines(t, m)
			checkGolden(t, tc.name, m.View())
		})
	}
}

// checkLines asserts the layout contract: exactly Height lines of exactly
// Width cells, so the parent's layout never jitters.
func checkLines(t *testing.T, m Model) {
	t.Helper()
	v := m.View()
	if m.Width() == 0 || m.Height() == 0 {
		if v != "" {
			t.Fatalf("%dx%d: view %q, want empty", m.Width(), m.Height(), v)
		}
		return
	}
	lines := strings.Split(v, "\n")
	if len(lines) != m.Height() {
		t.Fatalf("%dx%d: %d lines, want %d:\n%s", m.Width(), m.Height(), len(lines), m.Height(), v)
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w != m.Width() {
			t.Fatalf("%dx%d: line %d is %d cells wide, want %d: %q", m.Width(), m.Height(), i, w, m.Width(), l)
		}
	}
}

func TestEveryLineIsTableWide(t *testing.T) {
	for _, p := range []termenv.Profile{termenv.Ascii, termenv.ANSI256, termenv.TrueColor} {
		th := newTheme(p)
		for _, w := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 16, 20, 25, 33, 40, 59, 79, 80, 81, 100, 120, 159, 160, 161, 237, 400} {
			for _, h := range []int{0, 1, 2, 5, 24} {
				for _, n := range []int{0, 1, 3, 50} {
					m := newEvents(th, w, h, n)
					checkLines(t, m)
					m.SetCursor(n / 2)
					checkLines(t, m)
					m.Bottom()
					checkLines(t, m)
				}
			}
		}
	}
}

// TestRandomText throws mixed scripts, emoji, combining marks and control
// characters at random widths.
func TestRandomText(t *testing.T) {
	pieces := []string{"a", "Z", "9", " ", "山", "田", "ア", "한", "é", "e\u0301", "👩‍💻", "🚨", "🇫🇷", "✓", "—", "\n", "\t", "\r\n", "ß", "Ω"}
	rng := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		var b strings.Builder
		for range rng.IntN(30) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	th := newTheme(termenv.TrueColor)
	st := th.Level(5)
	for range 300 {
		m := New(StylesFrom(th), eventColumns()...)
		rows := make([]Row, 1+rng.IntN(20))
		for i := range rows {
			cells := make([]string, rng.IntN(10)) // fewer or more cells than columns
			for j := range cells {
				cells[j] = word()
			}
			styles := make([]*lipgloss.Style, rng.IntN(10))
			if len(styles) > 0 {
				styles[rng.IntN(len(styles))] = &st
			}
			rows[i] = Row{Cells: cells, Styles: styles}
		}
		m.SetRows(rows)
		m.SetSize(1+rng.IntN(200), 1+rng.IntN(30))
		m.SetCursor(rng.IntN(len(rows)))
		checkLines(t, m)
	}
}

func TestNewlinesInCells(t *testing.T) {
	th := newTheme(termenv.Ascii)
	m := New(StylesFrom(th), Column{Title: "A", Width: 10}, Column{Title: "B", Flex: 1})
	m.SetSize(30, 3)
	m.SetRows([]Row{{Cells: []string{"one\ntwo", "x\r\ny\tz"}}})
	checkLines(t, m)
	if got := strings.Split(m.View(), "\n")[1]; !strings.HasPrefix(got, ">one two    x  y z") {
		t.Fatalf("row = %q", got)
	}
}

func TestComputeWidths(t *testing.T) {
	cols := eventColumns()
	sum := func(ws []int) (total, n int) {
		for _, w := range ws {
			if w > 0 {
				total += w
				n++
			}
		}
		return total + (n-1)*gap, n
	}
	for w := 1; w <= 300; w++ {
		ws := computeWidths(cols, w)
		total, n := sum(ws)
		if total > w {
			t.Fatalf("width %d: columns take %d: %v", w, total, ws)
		}
		for i := 1; i < len(ws); i++ {
			if ws[i] > 0 && ws[i-1] == 0 {
				t.Fatalf("width %d: a column dropped before a kept one: %v", w, ws)
			}
		}
		// With every flexible column kept, the columns fill the width.
		if n == len(cols) && total != w {
			t.Fatalf("width %d: columns take %d, want all of it: %v", w, total, ws)
		}
		for i, c := range cols[:n] {
			if n > 1 && ws[i] < c.min() {
				t.Fatalf("width %d: column %q is %d, under its Min %d", w, c.Title, ws[i], c.min())
			}
		}
	}
	// 160: fixed columns at their Width, the rest split 2:1:3.
	got := computeWidths(cols, 160)
	want := []int{8, 35, 10, 8, 5, 15, 18, 54}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("160: widths %v, want %v", got, want)
		}
	}
	// One column wider than the table is cut to it.
	if got := computeWidths([]Column{{Title: "x", Width: 50}}, 20); got[0] != 20 {
		t.Fatalf("lone column: %v", got)
	}
	// Flexible mins: a column whose share is under its Min gets the Min.
	got = computeWidths([]Column{{Flex: 1, Min: 30}, {Flex: 9}}, 51)
	if got[0] != 30 || got[1] != 20 {
		t.Fatalf("flex min: %v", got)
	}
}

func TestCursor(t *testing.T) {
	th := newTheme(termenv.Ascii)
	m := newEvents(th, 80, 6, 20) // 5 visible rows
	if m.VisibleRows() != 5 {
		t.Fatalf("VisibleRows = %d", m.VisibleRows())
	}
	check := func(cursor, offset int) {
		t.Helper()
		if m.Cursor() != cursor || m.Offset() != offset {
			t.Fatalf("cursor %d offset %d, want %d %d", m.Cursor(), m.Offset(), cursor, offset)
		}
		r, ok := m.Selected()
		if !ok || r.Cells[0] != m.Rows()[cursor].Cells[0] {
			t.Fatalf("Selected = %v %v", r, ok)
		}
		checkLines(t, m)
	}
	check(0, 0)
	m.MoveUp(1)
	check(0, 0)
	m.MoveDown(4)
	check(4, 0)
	m.MoveDown(1)
	check(5, 1)
	m.MoveDown(100)
	check(19, 15)
	m.MoveUp(3)
	check(16, 15)
	m.MoveUp(2)
	check(14, 14)
	m.Top()
	check(0, 0)
	m.Bottom()
	check(19, 15)
	m.SetCursor(-7)
	check(0, 0)
	m.SetCursor(99)
	check(19, 15)

	// Fewer rows: the cursor is clamped and the window refilled.
	m.SetRows(m.Rows()[:7])
	check(6, 2)
	// Taller: rows above come back into view.
	m.SetSize(80, 24)
	check(6, 0)
	// Shorter: the cursor stays visible.
	m.SetSize(80, 3)
	check(6, 5)

	m.SetRows(nil)
	if m.Cursor() != 0 || m.Offset() != 0 {
		t.Fatalf("empty: cursor %d offset %d", m.Cursor(), m.Offset())
	}
	if _, ok := m.Selected(); ok {
		t.Fatal("Selected on an empty table")
	}
	m.MoveDown(3)
	m.Bottom()
	if m.Cursor() != 0 {
		t.Fatalf("empty: cursor %d", m.Cursor())
	}
	checkLines(t, m)
}

func TestUpdateKeys(t *testing.T) {
	m := newEvents(newTheme(termenv.Ascii), 80, 11, 100) // 10 visible
	press := func(k tea.KeyMsg, want int) {
		t.Helper()
		m, _ = m.Update(k)
		if m.Cursor() != want {
			t.Fatalf("after %q: cursor %d, want %d", k.String(), m.Cursor(), want)
		}
	}
	runes := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	press(tea.KeyMsg{Type: tea.KeyDown}, 1)
	press(runes("j"), 2)
	press(runes("k"), 1)
	press(tea.KeyMsg{Type: tea.KeyPgDown}, 11)
	press(tea.KeyMsg{Type: tea.KeyCtrlU}, 6)
	press(runes("G"), 99)
	press(tea.KeyMsg{Type: tea.KeyPgUp}, 89)
	press(runes("g"), 0)
	press(runes("x"), 0)
	if !m.KeyMap.Matches(runes("j")) || m.KeyMap.Matches(runes("x")) {
		t.Fatal("Matches: j is the map's, x is not")
	}
	m.KeyMap.Down.SetEnabled(false)
	press(runes("j"), 0)
	if m.KeyMap.Matches(runes("j")) {
		t.Fatal("Matches a disabled key")
	}
	if _, cmd := m.Update(tea.WindowSizeMsg{Width: 10, Height: 10}); cmd != nil || m.Width() != 80 {
		t.Fatal("Update handled a non-key message")
	}
	if len(m.KeyMap.ShortHelp()) == 0 || len(m.KeyMap.FullHelp()) == 0 {
		t.Fatal("no help")
	}
}

// TestRenderCache checks what the cache promises: a cursor move renders
// the two rows whose selection changed, View renders nothing, and an
// unchanged refresh renders nothing.
func TestRenderCache(t *testing.T) {
	th := newTheme(termenv.TrueColor)
	levels := levelStyles(th)
	m := New(StylesFrom(th), eventColumns()...)
	m.SetSize(160, 47)
	m.SetRows(eventRows(levels, 1000))
	if m.renders != 46 {
		t.Fatalf("first draw rendered %d rows, want the 46 visible", m.renders)
	}
	step := func(what string, f func(), most int) {
		t.Helper()
		before := m.renders
		f()
		_ = m.View()
		_ = m.View()
		if n := m.renders - before; n > most {
			t.Fatalf("%s rendered %d rows, want at most %d", what, n, most)
		}
		checkLines(t, m)
	}
	step("View", func() {}, 0)
	step("moving down", func() { m.MoveDown(1) }, 2)
	step("moving up", func() { m.MoveUp(1) }, 2)
	m.SetCursor(45)
	step("scrolling down one", func() { m.MoveDown(1) }, 2)
	step("scrolling down again", func() { m.MoveDown(1) }, 2)
	step("moving up in the window", func() { m.MoveUp(1) }, 2)
	step("a no-op move", func() { m.SetCursor(m.Cursor()) }, 0)
	step("Update with a key", func() { m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown}) }, 2)
	step("the same height again", func() { m.SetSize(160, 47) }, 0)

	// A refresh with equal content, even in new slices, reuses every row.
	fresh := eventRows(levels, 1000)
	step("an unchanged refresh", func() { m.SetRows(fresh) }, 0)
	// One changed visible row is the only one rendered again.
	changed := append([]Row(nil), fresh...)
	c := m.Offset() + 3
	changed[c] = Row{Cells: append([]string(nil), fresh[c].Cells...), Styles: fresh[c].Styles}
	changed[c].Cells[1] = "someone else"
	step("one changed row", func() { m.SetRows(changed) }, 1)
	if !strings.Contains(m.View(), "someone else") {
		t.Fatal("changed row not shown")
	}
	// A page that changed entirely renders the visible rows, not all of them.
	step("100k new rows", func() { m.SetRows(eventRows(levels, 100_000)[1:]) }, 46)
	// New style pointers count as a change: correct, just not free.
	step("new style pointers", func() { m.SetRows(eventRows(levelStyles(th), 100_000)[1:]) }, 46)
	step("a new width", func() { m.SetSize(120, 47) }, 46)
}

// TestCopiesAreIndependent: Bubble Tea copies models; a copy must keep
// showing its own state whatever happens to the other.
func TestCopiesAreIndependent(t *testing.T) {
	m := newEvents(newTheme(termenv.TrueColor), 100, 10, 50)
	c := m
	before := c.View()
	m.MoveDown(3)
	m.SetRows(m.Rows()[5:])
	c.MoveDown(1)
	c.MoveUp(1)
	if c.View() != before {
		t.Fatal("a copy's view changed with the original")
	}
	if m.View() == before {
		t.Fatal("the original did not change")
	}
}

func TestEmptyMessage(t *testing.T) {
	th := newTheme(termenv.Ascii)
	m := New(StylesFrom(th), eventColumns()...)
	m.SetSize(40, 4)
	if strings.TrimSpace(strings.Join(strings.Split(m.View(), "\n")[1:], "")) != "" {
		t.Fatalf("rows without a message: %q", m.View())
	}
	m.SetEmptyMessage("nothing here yet, and this message is far too long to fit")
	lines := strings.Split(m.View(), "\n")
	if !strings.HasPrefix(lines[1], "nothing here yet") || !strings.HasSuffix(lines[1], "…") {
		t.Fatalf("empty line = %q", lines[1])
	}
	checkLines(t, m)
	m.SetRows(eventRows(levelStyles(th), 1))
	if strings.Contains(m.View(), "nothing here") {
		t.Fatal("empty message shown with rows")
	}
}

// TestMarkerInEveryProfile: the selected row, and only it, starts with the
// marker in every colour profile, on level-coloured rows too (reverse
// video is not drawn without colour, and is easy to miss on them).
func TestMarkerInEveryProfile(t *testing.T) {
	for _, p := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.ANSI256, termenv.TrueColor} {
		m := newEvents(newTheme(p), 80, 5, 3)
		m.SetCursor(1)
		want := MarkerColor
		if p == termenv.Ascii {
			want = MarkerASCII
		}
		lines := strings.Split(ansi.Strip(m.View()), "\n")
		for i, l := range lines[1:] {
			if strings.HasPrefix(l, want) != (i == 1) {
				t.Fatalf("profile %v: row %d: %q", p, i, lines)
			}
		}
	}
}

// TestLayoutStylesIgnored: a per-cell or table style with padding or a
// width must not move the columns.
func TestLayoutStylesIgnored(t *testing.T) {
	th := newTheme(termenv.TrueColor)
	s := StylesFrom(th)
	s.Cell = th.Renderer.NewStyle().Padding(0, 3).Width(90)
	s.Header = s.Header.Border(lipgloss.NormalBorder()).MarginLeft(4)
	wide := th.Renderer.NewStyle().Foreground(lipgloss.Color("#ff0000")).PaddingLeft(5).Width(40).SetString("X")
	m := New(s, eventColumns()...)
	m.SetSize(70, 4)
	m.SetRows([]Row{{Cells: []string{"a", "b", "c"}, Styles: []*lipgloss.Style{1: &wide}}})
	checkLines(t, m)
	if strings.Contains(m.View(), "X") {
		t.Fatal("a style's string was drawn")
	}
}

// TestASCIIFastPath: printable ASCII skips ansi's measuring; the result
// must be what ansi gives.
func TestASCIIFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(0x20 + rng.IntN(0x5f))
		}
		s, w := string(b), 1+rng.IntN(30)
		want := ansi.Truncate(s, w, ellipsis)
		want += strings.Repeat(" ", w-ansi.StringWidth(want))
		if got := string(appendCell(nil, s, w, AlignLeft)); got != want {
			t.Fatalf("appendCell(%q, %d) = %q, want %q", s, w, got, want)
		}
	}
}

// TestFlexMins: a column fixed at its Min must not push the others under
// theirs when their share, recomputed, is enough.
func TestFlexMins(t *testing.T) {
	// 34 cells by 9:1:9. The middle one's share is under its Min, so it
	// takes 7; the others then split 27 evenly (13/14) although 27*9/19
	// would be under the last one's Min: shares are recomputed.
	got := computeWidths([]Column{{Flex: 9, Min: 10}, {Flex: 1, Min: 7}, {Flex: 9, Min: 13}}, 34+2*gap)
	if got[0] != 13 || got[1] != 7 || got[2] != 14 {
		t.Fatalf("widths %v", got)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		cols := make([]Column, 1+rng.IntN(6))
		for i := range cols {
			if rng.IntN(2) == 0 {
				cols[i] = Column{Width: 1 + rng.IntN(20), Min: rng.IntN(20)}
			} else {
				cols[i] = Column{Flex: rng.IntN(5), Min: rng.IntN(15)}
			}
		}
		w := 1 + rng.IntN(120)
		ws := computeWidths(cols, w)
		total, n := 0, 0
		for i, x := range ws {
			if x == 0 {
				continue
			}
			n++
			total += x
			if n > 1 {
				total += gap
			}
			if len(ws) > 1 && ws[0] != w && x < cols[i].min() {
				t.Fatalf("%+v at %d: %v: column %d under its Min", cols, w, ws, i)
			}
		}
		if total > w {
			t.Fatalf("%+v at %d: %v takes %d", cols, w, ws, total)
		}
	}
}
