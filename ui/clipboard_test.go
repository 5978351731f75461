package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// ctrl+v in a line never reads the clipboard of the machine risktop runs
// on: under serve that is the jump host's (bubbles runs xclip or xsel
// there), not the operator's. The terminal's own paste still works.
func TestCtrlVReadsNoClipboardHere(t *testing.T) {
	ctrlV := tea.KeyMsg{Type: tea.KeyCtrlV}
	for _, c := range []struct {
		name string
		open []tea.KeyMsg
	}{
		{"command bar", []tea.KeyMsg{press(":")}},
		{"events filter", []tea.KeyMsg{press("2"), press("/")}},
		{"users filter", []tea.KeyMsg{press("3"), press("/")}},
		{"push form", []tea.KeyMsg{press("2"), press("p")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newFixtureApp(t, 120, 40, 50)
			for _, k := range c.open {
				drive(a, k)
			}
			_, cmd := a.Update(ctrlV)
			if got := clipboardReads(cmd, 3); got != "" {
				t.Errorf("ctrl+v ran %s", got)
			}
		})
	}
}

// clipboardReads runs cmd (and the commands it batches, depth deep) and
// names any message of a clipboard read.
func clipboardReads(cmd tea.Cmd, depth int) string {
	if cmd == nil || depth == 0 {
		return ""
	}
	for _, x := range runCmd(cmd) {
		switch x := x.(type) {
		case tea.Cmd:
			if got := clipboardReads(x, depth-1); got != "" {
				return got
			}
		default:
			if name := fmt.Sprintf("%T", x); strings.Contains(name, "paste") {
				return "a clipboard read (" + name + ")"
			}
		}
	}
	return ""
}
