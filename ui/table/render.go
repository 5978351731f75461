package table

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

const ellipsis = "…"

// computeWidths gives each column its width in w cells (0: dropped),
// following the rules on Column.
func computeWidths(cols []Column, w int) []int {
	out := make([]int, len(cols))
	if w <= 0 || len(cols) == 0 {
		return out
	}

	k, need := 0, 0 // columns that fit at their Min
	for i, c := range cols {
		n := c.min()
		if i > 0 {
			n += gap
		}
		if need+n > w {
			break
		}
		need += n
		k++
	}
	if k == 0 {
		out[0] = w
		return out
	}
	cols = cols[:k]
	avail := w - (k-1)*gap

	fixed, flexMin := 0, 0
	for _, c := range cols {
		if c.flexible() {
			flexMin += c.min()
		} else {
			fixed += c.Width
		}
	}

	if fixed+flexMin > avail {
		// Flexible columns at their Min, fixed ones cut from the right.
		short := fixed + flexMin - avail
		for i := k - 1; i >= 0; i-- {
			c := cols[i]
			if c.flexible() {
				out[i] = c.min()
				continue
			}
			cut := min(short, c.Width-c.min())
			out[i] = c.Width - cut
			short -= cut
		}
		return out
	}

	// Flexible columns share what the fixed ones leave, by weight; one
	// whose share is under its Min gets its Min and leaves the pool.
	var pool []int
	for i, c := range cols {
		if c.flexible() {
			pool = append(pool, i)
		} else {
			out[i] = c.Width
		}
	}
	space := avail - fixed
	for {
		total := 0
		for _, i := range pool {
			total += cols[i].weight()
		}
		kept, took := pool[:0], 0
		for _, i := range pool {
			if space*cols[i].weight() < cols[i].min()*total {
				out[i] = cols[i].min()
				took += out[i]
			} else {
				kept = append(kept, i)
			}
		}
		space -= took
		if took == 0 {
			break
		}
		pool = kept
	}
	// Cumulative rounding: the shares add up to space exactly.
	total := 0
	for _, i := range pool {
		total += cols[i].weight()
	}
	cum, prev := 0, 0
	for _, i := range pool {
		cum += cols[i].weight()
		end := space * cum / total
		out[i] = end - prev
		prev = end
	}
	return out
}

// layout recomputes what depends on the width, columns or styles.
func (m *Model) layout() {
	m.gutter = ansi.StringWidth(m.skin.styles.Marker)
	if m.gutter >= m.width {
		m.gutter = 0
	}
	m.widths = computeWidths(m.cols, m.width-m.gutter)
	m.used = m.gutter
	n := 0
	for _, w := range m.widths {
		if w > 0 {
			m.used += w
			n++
		}
	}
	if n > 1 {
		m.used += (n - 1) * gap
	}
	m.blank = strings.Repeat(" ", m.width)
	m.header = m.renderHeader()
	m.emptyLine = m.renderEmpty()
}

type syncMode int

const (
	syncCursor syncMode = iota // only the cursor or the window moved
	syncRows                   // rows replaced: compare content
	syncAll                    // widths or styles changed: render all
)

// sync brings the rendered window in line with the model, rendering only
// rows it does not already hold in the right state, then rebuilds the view.
func (m *Model) sync(mode syncMode) {
	n := 0
	if m.width > 0 {
		n = clamp(len(m.rows)-m.offset, 0, m.VisibleRows())
	}
	win := make([]*line, n)
	for i := range win {
		idx := m.offset + i
		sel := idx == m.cursor
		r := m.rows[idx]
		if j := idx - m.winTop; mode != syncAll && j >= 0 && j < len(m.win) {
			old := m.win[j]
			if old.sel == sel && (mode == syncCursor || old.same(r)) {
				win[i] = old
				continue
			}
		}
		win[i] = m.renderRow(r, sel)
	}
	m.win, m.winTop = win, m.offset
	m.join()
}

// same reports whether l was rendered from r's current content.
func (l *line) same(r Row) bool {
	if len(l.cells) != len(r.Cells) || len(l.styles) != len(r.Styles) {
		return false
	}
	for i, c := range r.Cells {
		if l.cells[i] != c {
			return false
		}
	}
	for i, s := range r.Styles {
		if l.styles[i] != s {
			return false
		}
	}
	return true
}

// join assembles the view: header, rows, then blank lines so the height
// never changes with the number of rows.
func (m *Model) join() {
	if m.width <= 0 || m.height <= 0 {
		m.view = ""
		return
	}
	size := len(m.header) + len(m.emptyLine) + 1
	for _, l := range m.win {
		size += len(l.s) + 1
	}
	size += (m.height - 1 - len(m.win)) * (len(m.blank) + 1)
	var b strings.Builder
	b.Grow(size)
	b.WriteString(m.header)
	lines := 1
	if len(m.rows) == 0 && m.emptyLine != "" && lines < m.height {
		b.WriteByte('\n')
		b.WriteString(m.emptyLine)
		lines++
	}
	for _, l := range m.win {
		b.WriteByte('\n')
		b.WriteString(l.s)
		lines++
	}
	for ; lines < m.height; lines++ {
		b.WriteByte('\n')
		b.WriteString(m.blank)
	}
	m.view = b.String()
}

func (m *Model) renderHeader() string {
	if m.width <= 0 {
		return ""
	}
	b := make([]byte, 0, m.width+32)
	b = append(b, m.skin.header.on...)
	b = appendSpaces(b, m.gutter)
	first := true
	for i, c := range m.cols {
		w := m.widths[i]
		if w == 0 {
			continue
		}
		if !first {
			b = appendSpaces(b, gap)
		}
		first = false
		b = appendCell(b, c.Title, w, c.Align)
	}
	b = appendSpaces(b, m.width-m.used)
	return string(append(b, m.skin.header.off...))
}

func (m *Model) renderEmpty() string {
	if m.empty == "" || m.width <= 0 {
		return ""
	}
	b := append(make([]byte, 0, m.width+32), m.skin.muted.on...)
	b = appendCell(b, m.empty, m.width, AlignLeft)
	return string(append(b, m.skin.muted.off...))
}

// renderRow draws one row: the row's style around the cells that have no
// style of their own, each styled cell in its own.
func (m *Model) renderRow(r Row, sel bool) *line {
	m.renders++
	base := m.skin.cell
	if sel {
		base = m.skin.sel
	}
	// Room for multi-byte text (CJK: 3 bytes in 2 cells) and a few codes.
	w := runWriter{b: make([]byte, 0, m.width*3/2+96), base: base}

	if m.gutter > 0 {
		marker := ""
		if sel {
			marker = m.skin.styles.Marker
		}
		w.cell(marker, m.gutter, AlignLeft, nil)
	}
	first := true
	for i, c := range m.cols {
		if m.widths[i] == 0 {
			continue
		}
		if !first {
			w.spaces(gap)
		}
		first = false
		var text string
		if i < len(r.Cells) {
			text = r.Cells[i]
		}
		var cs *sgr
		if i < len(r.Styles) && r.Styles[i] != nil {
			g := m.cellSGR(r.Styles[i], sel)
			cs = &g
		}
		w.cell(text, m.widths[i], c.Align, cs)
	}
	w.spaces(m.width - m.used)
	w.close()

	l := &line{s: string(w.b), sel: sel, cells: append([]string(nil), r.Cells...)}
	if r.Styles != nil {
		l.styles = append([]*lipgloss.Style(nil), r.Styles...)
	}
	return l
}

// runWriter writes a row, opening the row's codes only around text that
// uses them, so a styled cell is not wrapped in an empty base run.
type runWriter struct {
	b    []byte
	base sgr
	in   bool // base's codes are in force
}

func (w *runWriter) open() {
	if !w.in {
		w.b = append(w.b, w.base.on...)
		w.in = true
	}
}

func (w *runWriter) close() {
	if w.in {
		w.b = append(w.b, w.base.off...)
		w.in = false
	}
}

func (w *runWriter) spaces(n int) {
	if n > 0 {
		w.open()
		w.b = appendSpaces(w.b, n)
	}
}

// cell writes text in the row's style, or in own when it is not nil.
func (w *runWriter) cell(text string, width int, a Align, own *sgr) {
	if own == nil {
		w.open()
		w.b = appendCell(w.b, text, width, a)
		return
	}
	w.close()
	w.b = append(w.b, own.on...)
	w.b = appendCell(w.b, text, width, a)
	w.b = append(w.b, own.off...)
}

// maxCellLooks bounds the per-cell style memo: a caller that makes a new
// style per row would otherwise grow it without end.
const maxCellLooks = 64

// cellSGR returns a per-cell style's codes, memoized by pointer: working
// them out is a lipgloss Render (about 6 µs in true colour).
func (m *Model) cellSGR(st *lipgloss.Style, sel bool) sgr {
	for _, l := range m.cellLooks {
		if l.style == st && l.sel == sel {
			return l.sgr
		}
	}
	s := colorOnly(*st)
	if sel {
		// Selected wins; the cell's own style fills what it leaves
		// unset, so a risk colour shows through a reverse-video highlight.
		s = m.skin.styles.Selected.Inherit(s)
	}
	l := cellLook{style: st, sel: sel, sgr: sgrOf(s)}
	if len(m.cellLooks) >= maxCellLooks {
		m.cellLooks = nil
	}
	// Append to a copy: model copies may share the backing array.
	m.cellLooks = append(m.cellLooks[:len(m.cellLooks):len(m.cellLooks)], l)
	return l.sgr
}

// sgr is a style reduced to the escape codes before and after its text.
// Drawing a run is then two appends instead of a lipgloss Render, which
// costs microseconds per call in true colour and styles each rune of
// underlined text separately.
type sgr struct{ on, off string }

type cellLook struct {
	style *lipgloss.Style
	sel   bool
	sgr   sgr
}

// skin is the table's styles and their codes, worked out once per
// SetStyles. It sits behind a pointer to keep the model small: Bubble Tea
// copies it on every Update and View.
type skin struct {
	styles                   Styles
	header, cell, sel, muted sgr
}

// sgrOf renders a probe and keeps what surrounds it. Styles are reduced to
// colours and attributes first, so the probe comes back unchanged.
func sgrOf(s lipgloss.Style) sgr {
	const probe = "x" // no escape code contains it
	out := colorOnly(s).Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return sgr{}
	}
	return sgr{on: out[:i], off: out[i+len(probe):]}
}

// appendCell appends s cut and padded to exactly w cells. Widths are
// display widths (CJK and most emoji take two cells), never byte counts.
func appendCell(b []byte, s string, w int, a Align) []byte {
	if w <= 0 {
		return b
	}
	var sw int
	if printableASCII(s) {
		// One cell a byte: ansi's grapheme segmentation is some 20 times
		// slower and would give the same answer.
		sw = len(s)
		if sw > w { // the cut text fills the column: no padding
			b = append(b, s[:w-1]...)
			return append(b, ellipsis...)
		}
	} else {
		s = flatten(s)
		sw = ansi.StringWidth(s)
		if sw > w {
			s = ansi.Truncate(s, w, ellipsis)
			sw = ansi.StringWidth(s)
		}
	}
	pad := max(w-sw, 0) // a wide rune that did not fit leaves a gap
	if a == AlignRight {
		b = appendSpaces(b, pad)
		return append(b, s...)
	}
	b = append(b, s...)
	return appendSpaces(b, pad)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// flatten keeps a cell on one line: a stray newline would break the
// layout, and a tab's width depends on the terminal.
func flatten(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return ' '
		}
		return r
	}, s)
}

func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}
