// Package scroll shows a window of pre-rendered lines: the long text
// panes (event detail, drill-down, help) scroll with it.
package scroll

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/table"
)

// Model shows a window of pre-rendered lines. It stands in for bubbles'
// viewport in the long text panes (event detail, drill-down, help): lines
// are fitted to the width once, when the content is set, so a View joins
// the visible ones and never runs a lipgloss render.
type Model struct {
	lines  []string
	off    int
	width  int
	height int
	view   string
	stale  bool
}

// Set replaces the content, keeping the offset where it still fits.
func (s *Model) Set(content string, width, height int) {
	raw := strings.Split(content, "\n")
	s.lines = make([]string, len(raw))
	for i, l := range raw {
		s.lines[i] = layout.Fit(l, width)
	}
	s.width, s.height = width, height
	s.clamp()
	s.stale = true
}

func (s *Model) clamp() { s.off = max(min(s.off, len(s.lines)-s.height), 0) }

func (s *Model) scroll(n int) {
	before := s.off
	s.off += n
	s.clamp()
	s.stale = s.stale || s.off != before
}

// OnKey scrolls for the navigation keys and reports whether msg was one.
func (s *Model) OnKey(msg tea.KeyMsg, k table.KeyMap) bool {
	page := max(s.height-1, 1)
	switch {
	case key.Matches(msg, k.Down):
		s.scroll(1)
	case key.Matches(msg, k.Up):
		s.scroll(-1)
	case key.Matches(msg, k.PageDown):
		s.scroll(page)
	case key.Matches(msg, k.PageUp):
		s.scroll(-page)
	case key.Matches(msg, k.HalfPageDown):
		s.scroll(max(page/2, 1))
	case key.Matches(msg, k.HalfPageUp):
		s.scroll(-max(page/2, 1))
	case key.Matches(msg, k.Top):
		s.scroll(-len(s.lines))
	case key.Matches(msg, k.Bottom):
		s.scroll(len(s.lines))
	default:
		return false
	}
	return true
}

// View is exactly height lines of exactly width cells.
func (s *Model) View() string {
	if s.stale || s.view == "" {
		end := min(s.off+s.height, len(s.lines))
		out := make([]string, 0, s.height)
		out = append(out, s.lines[s.off:end]...)
		blank := strings.Repeat(" ", s.width)
		for len(out) < s.height {
			out = append(out, blank)
		}
		s.view = strings.Join(out, "\n")
		s.stale = false
	}
	return s.view
}

// Where says which lines show, "lines 1–20 of 45", or "" when all do.
func (s *Model) Where() string {
	if len(s.lines) <= s.height {
		return ""
	}
	return fmt.Sprintf("lines %d–%d of %d", s.off+1, min(s.off+s.height, len(s.lines)), len(s.lines))
}
