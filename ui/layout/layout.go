// Package layout fits what the dashboard draws to the cells it has:
// widths measured as the terminal shows them, lines padded or cut, blocks
// of exactly a size, frames and overlays.
package layout

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/risktop/risktop/ui/theme"
)

// Fit pads or cuts one line to exactly width cells.
func Fit(s string, width int) string {
	w := Width(s)
	switch {
	case w == width:
		return s
	case w > width:
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// Width is a line's display width: the byte count for plain ASCII (the
// common case, and what the table already drew to width), else the ANSI-
// and grapheme-aware measure.
func Width(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// Block makes s exactly width × height: lines cut or padded, missing
// lines blank, extra lines dropped.
func Block(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = Fit(l, width)
	}
	blank := strings.Repeat(" ", width)
	for len(lines) < height {
		lines = append(lines, blank)
	}
	return strings.Join(lines, "\n")
}

// PadRight pads s with spaces to w cells.
func PadRight(s string, w int) string {
	if d := w - lipgloss.Width(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

// Cut shortens s to w display cells with an ellipsis.
func Cut(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// ModalWidth is how wide a modal may be in a body w cells wide.
func ModalWidth(w, want int) int { return max(min(w-4, want), 20) }

// Frame draws lines in a rounded border, exactly width cells wide, with the
// title in the top edge. Lines are cut to fit; the caller wraps them.
func Frame(t *theme.Theme, title string, lines []string, width int) string {
	inner := width - 4
	var b strings.Builder
	top := "╭─ " + title + " "
	top = Cut(top, width-1)
	b.WriteString(t.Border.Render(top+strings.Repeat("─", max(width-1-Width(top), 0))+"╮") + "\n")
	side := t.Border.Render("│")
	for _, l := range lines {
		b.WriteString(side + " " + Fit(l, inner) + " " + side + "\n")
	}
	b.WriteString(t.Border.Render("╰" + strings.Repeat("─", width-2) + "╯"))
	return b.String()
}

// Wrap wraps each line to width cells (long words broken), keeping
// empty lines.
func Wrap(lines []string, width int) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if Width(l) <= width {
			out = append(out, l)
			continue
		}
		out = append(out, strings.Split(ansi.Wrap(l, width, ""), "\n")...)
	}
	return out
}

// Overlay draws box centred over body (w × h, one string of h lines).
func Overlay(body, box string, w, h int) string {
	under := strings.Split(body, "\n")
	over := strings.Split(box, "\n")
	bw := 0
	for _, l := range over {
		bw = max(bw, Width(l))
	}
	// A blank column each side keeps the box clear of the text under it.
	for i, l := range over {
		over[i] = " " + Fit(l, bw) + " "
	}
	bw += 2
	top := max((h-len(over))/2, 0)
	left := max((w-bw)/2, 0)
	for i, l := range over {
		r := top + i
		if r >= len(under) {
			break
		}
		under[r] = splice(under[r], l, left, bw, w)
	}
	return strings.Join(under, "\n")
}

// splice puts over (ow cells) at column x of the line under, which is w
// cells wide. A wide character cut by an edge becomes spaces; styles open
// in under are closed around over so they do not bleed into it.
func splice(under, over string, x, ow, w int) string {
	reset := ""
	if strings.Contains(under, "\x1b") {
		reset = "\x1b[m"
	}
	leftPart := ansi.Truncate(under, x, "")
	if lw := ansi.StringWidth(leftPart); lw < x {
		leftPart += strings.Repeat(" ", x-lw)
	}
	rightPart := ansi.TruncateLeft(under, x+ow, "")
	if rw := ansi.StringWidth(rightPart); rw < w-x-ow {
		rightPart = strings.Repeat(" ", w-x-ow-rw) + rightPart
	}
	return Fit(leftPart+reset+Fit(over, ow)+reset+rightPart, w)
}

// PadLeft puts spaces before s up to w cells.
func PadLeft(s string, w int) string {
	if d := w - Width(s); d > 0 {
		return Spaces(d) + s
	}
	return s
}

// Spaces is n spaces.
func Spaces(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// Indent puts pad before each line, in place.
func Indent(lines []string, pad string) []string {
	for i, l := range lines {
		lines[i] = pad + l
	}
	return lines
}
