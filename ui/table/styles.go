package table

import (
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/ui/theme"
)

// Styles are the table's looks. Every style must come from the caller's
// renderer (StylesFrom does that), so each SSH session gets its own colour
// profile. Only colours and text attributes are used: layout properties
// (padding, margins, width, borders, alignment) are dropped, because the
// table places every cell itself.
type Styles struct {
	Header   lipgloss.Style // the column titles line
	Cell     lipgloss.Style // ordinary rows
	Selected lipgloss.Style // the row under the cursor
	Muted    lipgloss.Style // the empty-state message

	// Marker starts the selected row, in a gutter as wide as it (the
	// other rows leave it blank), so the cursor shows whatever the
	// colours: reverse video is not drawn without a colour profile
	// (NO_COLOR, dumb terminals), and on a row coloured by its risk level
	// a highlight alone is easy to miss.
	Marker string
}

// Markers of the selected row: ASCII when there is no colour (a dumb
// terminal may lack the triangle), the triangle the dialogs use otherwise.
const (
	MarkerASCII = ">"
	MarkerColor = "▸"
)

// StylesFrom takes the table's styles from the dashboard theme, with the
// selected row's marker.
func StylesFrom(t *theme.Theme) Styles {
	s := Styles{
		Header:   t.Header,
		Cell:     t.Renderer.NewStyle(),
		Selected: t.Selected,
		Muted:    t.Muted,
		Marker:   MarkerColor,
	}
	if !t.HasColor() {
		s.Marker = MarkerASCII
	}
	return s
}

func (s Styles) clean() Styles {
	s.Header = colorOnly(s.Header)
	s.Cell = colorOnly(s.Cell)
	s.Selected = colorOnly(s.Selected)
	s.Muted = colorOnly(s.Muted)
	s.Marker = flatten(s.Marker)
	return s
}

// colorOnly strips what would change a cell's width or text.
func colorOnly(s lipgloss.Style) lipgloss.Style {
	return s.UnsetWidth().UnsetHeight().UnsetMaxWidth().UnsetMaxHeight().
		UnsetPadding().UnsetMargins().UnsetAlign().
		UnsetBorderStyle().UnsetBorderTop().UnsetBorderRight().
		UnsetBorderBottom().UnsetBorderLeft().
		UnsetTransform().UnsetString()
}
