package table

import (
	"testing"

	btable "github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

// b.Loop keeps the calls in its body alive, so results need no sink.
//
// The benchmarks draw at 160x48: a 47-line table (header and 46 rows) of
// eight columns, in true colour, which costs the most escape codes.
const benchW, benchH = 160, 47

func benchTable(b *testing.B, n int) Model {
	th := newTheme(termenv.TrueColor)
	m := New(StylesFrom(th), eventColumns()...)
	m.SetSize(benchW, benchH)
	m.SetRows(eventRows(levelStyles(th), n))
	if m.VisibleRows() != 46 {
		b.Fatalf("VisibleRows = %d", m.VisibleRows())
	}
	return m
}

// benchBubbles is bubbles' table with the same columns, widths and rows,
// styled from the same kind of renderer (its own cell padding replaces our
// gaps).
func benchBubbles(n int) btable.Model {
	th := newTheme(termenv.TrueColor)
	cols := eventColumns()
	widths := computeWidths(cols, benchW)
	bcols := make([]btable.Column, len(cols))
	for i, c := range cols {
		bcols[i] = btable.Column{Title: c.Title, Width: max(widths[i]-1, 1)}
	}
	r := th.Renderer
	t := btable.New(
		btable.WithColumns(bcols),
		btable.WithStyles(btable.Styles{
			Header:   r.NewStyle().Bold(true).Padding(0, 1),
			Cell:     r.NewStyle().Padding(0, 1),
			Selected: r.NewStyle().Reverse(true),
		}),
		btable.WithWidth(benchW),
		btable.WithHeight(benchH),
		btable.WithFocused(true),
	)
	t.SetRows(bubblesRows(eventRows(levelStyles(th), n)))
	return t
}

func bubblesRows(rows []Row) []btable.Row {
	out := make([]btable.Row, len(rows))
	for i, r := range rows {
		out[i] = r.Cells
	}
	return out
}

// BenchmarkView is the steady frame: View with nothing changed, as after
// a tick or any message the table ignores.
func BenchmarkView(b *testing.B) {
	b.Run("risktop", func(b *testing.B) {
		m := benchTable(b, 46)
		m.SetCursor(10)
		b.ReportAllocs()
		for b.Loop() {
			_ = m.View()
		}
	})
	b.Run("bubbles", func(b *testing.B) {
		t := benchBubbles(46)
		t.SetCursor(10)
		b.ReportAllocs()
		for b.Loop() {
			_ = t.View()
		}
	})
}

// BenchmarkCursorMove is a key press: Update with "down" then View, on a
// page of 46 rows and on 10,000 rows (where the window scrolls). At the
// last row it jumps back to the first, which is a move too.
func BenchmarkCursorMove(b *testing.B) {
	down := tea.KeyMsg{Type: tea.KeyDown}
	for _, n := range []int{46, 10_000} {
		b.Run("risktop/"+itoa(n), func(b *testing.B) {
			m := benchTable(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if m.Cursor() == n-1 {
					m.Top()
				} else {
					m, _ = m.Update(down)
				}
				_ = m.View()
			}
		})
		b.Run("bubbles/"+itoa(n), func(b *testing.B) {
			t := benchBubbles(n)
			b.ReportAllocs()
			for b.Loop() {
				if t.Cursor() == n-1 {
					t.GotoTop()
				} else {
					t, _ = t.Update(down)
				}
				_ = t.View()
			}
		})
	}
}

// BenchmarkSetRowsView hands over new rows and draws them. Two row sets of
// different content alternate, so neither table can reuse what it drew.
// 46 rows is a page as the dashboard hands it; 100,000 is the acceptance
// comparison with bubbles' table.
func BenchmarkSetRowsView(b *testing.B) {
	th := newTheme(termenv.TrueColor)
	levels := levelStyles(th)
	for _, n := range []int{46, 100_000} {
		sets := [2][]Row{eventRows(levels, n+1)[1:], eventRows(levels, n)}
		b.Run("risktop/"+itoa(n), func(b *testing.B) {
			m := benchTable(b, 0)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.SetRows(sets[i&1])
				_ = m.View()
				i++
			}
		})
		b.Run("bubbles/"+itoa(n), func(b *testing.B) {
			t := benchBubbles(0)
			bsets := [2][]btable.Row{bubblesRows(sets[0]), bubblesRows(sets[1])}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				t.SetRows(bsets[i&1])
				_ = t.View()
				i++
			}
		})
	}
	// A refresh that brings the same content (a poll with nothing new).
	b.Run("risktop/46-unchanged", func(b *testing.B) {
		m := benchTable(b, 0)
		sets := [2][]Row{eventRows(levels, 46), eventRows(levels, 46)}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			m.SetRows(sets[i&1])
			_ = m.View()
			i++
		}
	})
}

func itoa(n int) string {
	switch n {
	case 46:
		return "46"
	case 10_000:
		return "10000"
	case 100_000:
		return "100000"
	}
	return "n"
}
