package table

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

const ellipsis = "…"

// computeWidths gives each column its width in w cells (0: dropped).
//
// Narrow tables first shrink columns toward their Min (flexible ones
// first, then fixed ones from the right); when even the Mins do not fit,
// columns drop from the right, so the leading (identifying) columns stay.
// The first column is always kept, cut to w if need be.
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
		kept := pool[:0]
		for _, i := range pool {
			if space*cols[i].weight() < cols[i].min()*total {
				out[i] = cols[i].min()
				space -= out[i]
			} else {
				kept = append(kept, i)
			}
		}
		if len(kept) == len(pool) {
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
	m.gutter = ansi.StringWidth(m.styles.Marker)
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
	win := make([]line, n)
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
func (l line) same(r Row) bool {
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
	size := len(m.header) + (m.height-1)*(len(m.blank)+1)
	for _, l := range m.win {
		size += len(l.s) + 1
	}
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
	b := make([]byte, 0, m.width*2)
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
	return m.styles.Header.Render(string(b))
}

func (m *Model) renderEmpty() string {
	if m.empty == "" || m.width <= 0 {
		return ""
	}
	b := appendCell(make([]byte, 0, m.width*2), m.empty, m.width, AlignLeft)
	return m.styles.Muted.Render(string(b))
}

// renderRow draws one row. Cells without their own style are gathered
// into one run rendered with a single Render call (usually the whole row).
func (m *Model) renderRow(r Row, sel bool) line {
	m.renders++
	base := m.styles.Cell
	if sel {
		base = m.styles.Selected
	}
	var out strings.Builder
	out.Grow(m.width * 2)
	run := make([]byte, 0, m.width*2)
	flush := func() {
		if len(run) > 0 {
			out.WriteString(base.Render(string(run)))
			run = run[:0]
		}
	}

	if m.gutter > 0 {
		if sel {
			run = appendCell(run, m.styles.Marker, m.gutter, AlignLeft)
		} else {
			run = appendSpaces(run, m.gutter)
		}
	}
	first := true
	for i, c := range m.cols {
		w := m.widths[i]
		if w == 0 {
			continue
		}
		if !first {
			run = appendSpaces(run, gap)
		}
		first = false
		var text string
		if i < len(r.Cells) {
			text = r.Cells[i]
		}
		var st *lipgloss.Style
		if i < len(r.Styles) {
			st = r.Styles[i]
		}
		if st == nil {
			run = appendCell(run, text, w, c.Align)
			continue
		}
		flush()
		// Selected wins; the cell's own style fills what it leaves unset,
		// so a risk colour shows through a reverse-video highlight.
		cs := colorOnly(*st)
		if sel {
			cs = m.styles.Selected.Inherit(cs)
		}
		out.WriteString(cs.Render(string(appendCell(nil, text, w, c.Align))))
	}
	run = appendSpaces(run, m.width-m.used)
	flush()

	l := line{s: out.String(), sel: sel, cells: append([]string(nil), r.Cells...)}
	if r.Styles != nil {
		l.styles = append([]*lipgloss.Style(nil), r.Styles...)
	}
	return l
}

// appendCell appends s cut and padded to exactly w cells. Widths are
// display widths (CJK and most emoji take two cells), never byte counts.
func appendCell(b []byte, s string, w int, a Align) []byte {
	s = flatten(s)
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, ellipsis)
		sw = ansi.StringWidth(s)
	}
	pad := max(w-sw, 0) // a wide rune that did not fit leaves a gap
	if a == AlignRight {
		b = appendSpaces(b, pad)
		return append(b, s...)
	}
	b = append(b, s...)
	return appendSpaces(b, pad)
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
