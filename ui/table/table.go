// Package table is the dashboard's table: a header and the rows that fit,
// drawn from caches so View costs next to nothing.
//
// Why not bubbles' table: it re-renders up to twice the visible rows on
// every cursor move and allocates per row of the whole data set
// (bubbles issue #276). Here column widths are computed once per size or
// column change, each visible row is rendered once per change of its
// content, width or selection state, and View returns a string built by
// the last change. A cursor move inside the window re-renders two rows.
//
// The table never fetches: the caller hands it a page of rows (sized from
// VisibleRows) and handles paging itself.
//
// Model is a value like other Bubble Tea components. Its caches are never
// written in place (each change builds new ones), so copies are
// independent and several SSH sessions can each hold their own.
package table

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// gap is the blank space between two columns, in cells.
const gap = 1

// Align places text inside a column.
type Align int

const (
	AlignLeft Align = iota
	AlignRight
)

// Column describes one column. A column with Width > 0 is fixed (Flex is
// then ignored); otherwise it is flexible and takes Flex shares (1 if
// unset) of the width the fixed columns leave.
//
// Min is how far the column may shrink: fixed columns default to Width
// (they do not shrink), flexible ones to 1 cell. A narrow table first
// shrinks flexible columns to their Min, then fixed ones from the right;
// when even the Mins do not fit, columns drop from the right, so the
// leading, identifying columns stay. The first column is always kept, cut
// to the table's width if need be.
type Column struct {
	Title string
	Width int
	Flex  int
	Min   int
	Align Align
}

func (c Column) flexible() bool { return c.Width <= 0 }

func (c Column) weight() int {
	if c.Flex > 0 {
		return c.Flex
	}
	return 1
}

func (c Column) min() int {
	switch {
	case c.flexible():
		return max(c.Min, 1)
	case c.Min > 0:
		return min(c.Min, c.Width)
	default:
		return c.Width
	}
}

// Row is one line of the table. Cells are plain text (sanitized upstream);
// missing cells are blank and extra ones are ignored.
//
// Styles, when set, is aligned with Cells: a non-nil entry styles that
// cell instead of Styles.Cell (for example a risk level's colour). Only
// colours and text attributes are used; padding, width, borders and the
// like are ignored so the columns stay aligned.
//
// Styles are known by their pointer: the table works out each one's escape
// codes once, and a refresh whose rows point at the same styles reuses the
// rows it drew. So keep them where they stay put (an array allocated once,
// not a field of a model Bubble Tea copies), and don't change one in
// place: point at a new one, or call SetStyles. New pointers on every
// refresh still draw correctly, just without those savings.
//
// Key, when set, is the row's identity (a person's key, an item's id):
// once the operator has moved the cursor it stays on the row with the
// same key across SetRows, wherever that row moves. Label names the row
// in the notice that says it moved (see Drift); the key when empty.
type Row struct {
	Cells  []string
	Styles []*lipgloss.Style
	Key    string
	Label  string
}

func (r Row) label() string {
	if r.Label != "" {
		return r.Label
	}
	return r.Key
}

// Model is the table. The zero value is not usable: build one with New.
type Model struct {
	// KeyMap is used by Update; callers that route keys themselves can
	// ignore it. Disable a binding to free its key for the caller.
	KeyMap KeyMap

	cols      []Column
	skin      *skin      // never modified: SetStyles builds a new one
	cellLooks []cellLook // per-cell styles' codes, by pointer
	rows      []Row
	empty     string

	width, height  int
	cursor, offset int // offset: index of the first visible row

	// The cursor's story. Until the operator moves it (or after Top) it is
	// pinned to the first row, whatever comes first as rows change. Once
	// moved it follows its row's Key; drift says how far it went since the
	// operator put it there, or which row left.
	moved bool
	drift Drift

	// Layout, rebuilt by SetSize, SetColumns and SetStyles.
	widths    []int // per column; 0 when the column was dropped
	gutter    int   // width of Styles.Marker, 0 when it does not fit
	used      int   // cells taken by gutter, columns and gaps
	header    string
	blank     string
	emptyLine string

	// win holds the rendered visible rows, win[i] being row winTop+i.
	// Neither it nor its lines are modified once built (changes build new
	// ones), so copies of the model can't see each other's changes.
	win    []*line
	winTop int
	view   string

	renders int // rows rendered so far; tests use it to check the cache
}

// line is one rendered row and the content it was rendered from.
type line struct {
	s      string
	sel    bool
	cells  []string
	styles []*lipgloss.Style
}

// New builds a table with the given styles and columns. Call SetSize
// before it draws anything.
func New(styles Styles, cols ...Column) Model {
	m := Model{KeyMap: DefaultKeyMap()}
	m.setStyles(styles)
	m.cols = append([]Column(nil), cols...)
	return m
}

// SetSize sets the width in cells and the height in lines, header
// included. View always returns exactly h lines of exactly w cells.
func (m *Model) SetSize(w, h int) {
	w, h = max(w, 0), max(h, 0)
	if w == m.width && h == m.height {
		return
	}
	relayout := w != m.width
	m.width, m.height = w, h
	if relayout {
		m.layout()
	}
	m.scroll()
	if relayout {
		m.sync(syncAll)
	} else {
		m.sync(syncCursor)
	}
}

// SetColumns replaces the columns and recomputes their widths.
func (m *Model) SetColumns(cols ...Column) {
	m.cols = append([]Column(nil), cols...)
	m.layout()
	m.sync(syncAll)
}

// Columns returns a copy of the columns.
func (m Model) Columns() []Column { return append([]Column(nil), m.cols...) }

// SetStyles replaces the styles (a theme change). It also forgets the
// per-cell styles seen so far, so rows may point at restyled ones.
func (m *Model) SetStyles(s Styles) {
	m.setStyles(s)
	m.layout()
	m.sync(syncAll)
}

func (m *Model) setStyles(s Styles) {
	s = s.clean()
	m.skin = &skin{
		styles: s,
		header: sgrOf(s.Header),
		cell:   sgrOf(s.Cell),
		sel:    sgrOf(s.Selected),
		muted:  sgrOf(s.Muted),
	}
	m.cellLooks = nil
}

// Styles returns the styles in use.
func (m Model) Styles() Styles { return m.skin.styles }

// SetEmptyMessage sets the line shown when there are no rows ("" for none).
func (m *Model) SetEmptyMessage(s string) {
	m.empty = s
	m.emptyLine = m.renderEmpty()
	m.join()
}

// SetRows replaces the rows. The table keeps the slice, so hand it a new
// one (or call SetRows again) after changing rows. Visible rows whose
// content did not change are not rendered again, so refreshing an
// unchanged page is cheap.
//
// Where the cursor goes: until the operator moves it (and after Top) it
// stays on the first row, however the rows re-sort. Once moved, it stays
// on the row with the same Key, and Drift says how far that row moved;
// when that row is gone it goes to its nearest neighbour that is still
// there (the next one, else the one before) and Drift says which row
// left. Rows without keys keep the cursor at the same index.
func (m *Model) SetRows(rows []Row) {
	old, oldCursor := m.rows, m.cursor
	m.rows = rows
	switch {
	case !m.moved:
		m.cursor, m.offset = 0, 0
	case oldCursor < len(old) && old[oldCursor].Key != "":
		m.follow(old, oldCursor)
	default:
		m.cursor = clamp(m.cursor, 0, max(len(rows)-1, 0))
	}
	m.scroll()
	m.sync(syncRows)
}

// follow puts the cursor on the row that was old[at], or on its nearest
// surviving neighbour, and updates the drift.
func (m *Model) follow(old []Row, at int) {
	want := old[at].Key
	for i, r := range m.rows {
		if r.Key == want {
			m.drift.By += i - at
			m.cursor = i
			m.drift.Label = r.label()
			return
		}
	}
	// Gone: the next row that is still there, else the one before.
	idx := make(map[string]int, len(m.rows))
	for i, r := range m.rows {
		if r.Key != "" {
			if _, dup := idx[r.Key]; !dup {
				idx[r.Key] = i
			}
		}
	}
	next := -1
	for i := at + 1; i < len(old) && next < 0; i++ {
		if j, ok := idx[old[i].Key]; ok {
			next = j
		}
	}
	for i := at - 1; i >= 0 && next < 0; i-- {
		if j, ok := idx[old[i].Key]; ok {
			next = j
		}
	}
	if next < 0 {
		next = clamp(at, 0, max(len(m.rows)-1, 0))
	}
	m.cursor = next
	m.drift = Drift{Left: old[at].label()}
	if next < len(m.rows) {
		m.drift.Label = m.rows[next].label()
	}
}

// Rows returns the rows last passed to SetRows.
func (m Model) Rows() []Row { return m.rows }

// Len is the number of rows.
func (m Model) Len() int { return len(m.rows) }

// Width is the table's width in cells.
func (m Model) Width() int { return m.width }

// Height is the table's height in lines, header included.
func (m Model) Height() int { return m.height }

// VisibleRows is how many rows fit under the header: a caller paging a
// store query uses it as the page size.
func (m Model) VisibleRows() int { return max(m.height-1, 0) }

// Offset is the index of the first visible row.
func (m Model) Offset() int { return m.offset }

// Cursor is the selected row's index (0 when there are no rows).
func (m Model) Cursor() int { return m.cursor }

// Selected returns the row under the cursor; false when there are none.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return Row{}, false
	}
	return m.rows[m.cursor], true
}

// SetCursor selects row i, clamped to the rows, and scrolls it into view.
// It is the operator's choice: from now on the cursor follows that row
// (see SetRows), and the drift starts again from here.
// Asked for the first row while pinned there (k on the first row), it
// stays pinned.
func (m *Model) SetCursor(i int) {
	if !m.moved && clamp(i, 0, max(len(m.rows)-1, 0)) == 0 {
		m.place(0)
		return
	}
	m.moved, m.drift = true, Drift{}
	m.place(i)
}

func (m *Model) place(i int) {
	i = clamp(i, 0, max(len(m.rows)-1, 0))
	if i == m.cursor {
		return
	}
	m.cursor = i
	m.scroll()
	m.sync(syncCursor)
}

// MoveUp moves the cursor n rows up, stopping at the first row.
func (m *Model) MoveUp(n int) { m.SetCursor(m.cursor - n) }

// MoveDown moves the cursor n rows down, stopping at the last row.
func (m *Model) MoveDown(n int) { m.SetCursor(m.cursor + n) }

// Top selects the first row and pins the cursor there again: it stays on
// the first row as rows change, as before the operator moved it.
func (m *Model) Top() {
	m.moved, m.drift = false, Drift{}
	m.place(0)
}

// Pinned reports whether the cursor stays on the first row as rows
// change (the operator has not moved it, or went back with Top).
func (m Model) Pinned() bool { return !m.moved }

// Drift is how the selected row moved because rows changed since the
// operator put the cursor on it; the zero Drift when it did not.
func (m Model) Drift() Drift { return m.drift }

// Above is how many rows are above the window, Below how many under it.
func (m Model) Above() int { return min(m.offset, len(m.rows)) }

// Below is how many rows are under the window.
func (m Model) Below() int { return max(len(m.rows)-m.offset-m.VisibleRows(), 0) }

// More counts the rows out of view, "↑ 11 more · ↓ 40 more", "" when
// every row is in view.
func (m Model) More() string {
	var parts []string
	if n := m.Above(); n > 0 {
		parts = append(parts, "↑ "+thousands(n)+" more")
	}
	if n := m.Below(); n > 0 {
		parts = append(parts, "↓ "+thousands(n)+" more")
	}
	return strings.Join(parts, " · ")
}

// Bottom selects the last row.
func (m *Model) Bottom() { m.SetCursor(len(m.rows) - 1) }

// View is the header and the visible rows: Height lines of Width cells,
// joined by newlines without a trailing one. It was built by the last
// change, so calling it costs nothing.
func (m Model) View() string { return m.view }

// scroll moves the window the least needed to show the cursor, and never
// leaves blank lines at the bottom while rows above could fill them.
func (m *Model) scroll() {
	v := m.VisibleRows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if v > 0 && m.cursor >= m.offset+v {
		m.offset = m.cursor - v + 1
	}
	m.offset = clamp(m.offset, 0, max(len(m.rows)-v, 0))
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
