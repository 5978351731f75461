package table

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Drift is how the selected row moved, not by the operator's keys but
// because rows changed (a re-sort as scores arrive), since the operator
// last moved the cursor. Screens say it, so a cursor that moved with its
// row never surprises.
type Drift struct {
	Label string // the row selected now
	By    int    // rows it moved: > 0 down the list, < 0 up
	Left  string // the row that was selected and left the list ("" when none did)
}

// Zero reports whether there is nothing to say.
func (d Drift) Zero() bool { return d.By == 0 && d.Left == "" }

// Text says it: "Sven Fischer moved ↓ 12 as scores changed" (why is
// "as scores changed"), or "Sven Fischer left the list; the cursor is on
// Ava Chen"; "" when there is nothing to say.
func (d Drift) Text(why string) string {
	// Names are cut so the count and the reason stay on the line.
	const most = 28
	d.Label, d.Left = ansi.Truncate(d.Label, most, "…"), ansi.Truncate(d.Left, most, "…")
	switch {
	case d.Left != "" && d.Label != "":
		return d.Left + " left the list; the cursor is on " + d.Label
	case d.Left != "":
		return d.Left + " left the list"
	case d.By == 0:
		return ""
	}
	arrow, n := "↓", d.By
	if n < 0 {
		arrow, n = "↑", -n
	}
	s := d.Label + " moved " + arrow + " " + thousands(n)
	if why != "" {
		s += " " + why
	}
	return s
}

// thousands writes n with thousands separators (1,650).
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Beside is left and right on one line of w cells, right flush with the
// end; left is cut first when both do not fit (right is the count of
// rows out of view, which must stay readable).
func Beside(left, right string, w int) string {
	if right == "" {
		return left
	}
	rw := ansi.StringWidth(right)
	if rw+1 >= w {
		return ansi.Truncate(right, w, "…")
	}
	room := w - rw - 1
	if lw := ansi.StringWidth(left); lw > room {
		left = ansi.Truncate(left, room, "…")
	}
	return left + strings.Repeat(" ", w-rw-ansi.StringWidth(left)) + right
}
