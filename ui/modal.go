package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/risktop/risktop/ui/theme"
)

// modal is a dialog or a form drawn over the body. While one is open it
// has the keyboard: no key reaches the screen below or the global keys
// (tabs, pause, quit…), except ctrl+c.
type modal interface {
	// id tells a modal's results from those of one closed before.
	id() int
	// onKey handles every key while the modal is open.
	onKey(msg tea.KeyMsg) tea.Cmd
	// onMsg sees every other message (results it waits for).
	onMsg(msg tea.Msg) tea.Cmd
	// box draws the framed modal, at most width cells wide and height
	// lines high.
	box(width, height int) string
	// keys are the modal's bindings, for the footer and help.
	keys() []key.Binding
}

// modalWidth is how wide a modal may be in a body w cells wide.
func modalWidth(w, want int) int { return max(min(w-4, want), 20) }

// frame draws lines in a rounded border, exactly width cells wide, with the
// title in the top edge. Lines are cut to fit; the caller wraps them.
func frame(t *theme.Theme, title string, lines []string, width int) string {
	inner := width - 4
	var b strings.Builder
	top := "╭─ " + title + " "
	top = cut(top, width-1)
	b.WriteString(t.Border.Render(top+strings.Repeat("─", max(width-1-cellWidth(top), 0))+"╮") + "\n")
	side := t.Border.Render("│")
	for _, l := range lines {
		b.WriteString(side + " " + fitWidth(l, inner) + " " + side + "\n")
	}
	b.WriteString(t.Border.Render("╰" + strings.Repeat("─", width-2) + "╯"))
	return b.String()
}

// wrapLines wraps each line to width cells (long words broken), keeping
// empty lines.
func wrapLines(lines []string, width int) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if cellWidth(l) <= width {
			out = append(out, l)
			continue
		}
		out = append(out, strings.Split(ansi.Wrap(l, width, ""), "\n")...)
	}
	return out
}

// overlay draws box centred over body (w × h, one string of h lines).
func overlay(body, box string, w, h int) string {
	under := strings.Split(body, "\n")
	over := strings.Split(box, "\n")
	bw := 0
	for _, l := range over {
		bw = max(bw, cellWidth(l))
	}
	// A blank column each side keeps the box clear of the text under it.
	for i, l := range over {
		over[i] = " " + fitWidth(l, bw) + " "
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
	return fitWidth(leftPart+reset+fitWidth(over, ow)+reset+rightPart, w)
}
