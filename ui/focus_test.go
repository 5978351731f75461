package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/ui/sources"
)

// TestFocusStackOwnsEveryKey: with the drill-down, the help or the
// sources panel open, keys that mean something on a bare screen (pause,
// a tab, export, the command bar, refresh, the next tab) do nothing
// beneath it: the layer stays open, the dashboard is neither paused nor
// on another tab, no export starts and the command bar stays shut. esc
// closes the layer, and the same keys work again.
func TestFocusStackOwnsEveryKey(t *testing.T) {
	layers := []struct {
		name   string
		open   []string
		isOpen func(a *App) bool
	}{
		{"drill-down", []string{"3", "enter"}, func(a *App) bool { return a.drill != nil }},
		{"help", []string{"3", "?"}, func(a *App) bool { return a.help }},
		{"sources panel", []string{"3", "S"}, func(a *App) bool { _, ok := a.modal.(*sources.Panel); return ok }},
		{"help over the drill-down", []string{"3", "enter", "?"}, func(a *App) bool { return a.help && a.drill != nil }},
	}
	for _, l := range layers {
		t.Run(l.name, func(t *testing.T) {
			a := newFixtureApp(t, 120, 40, 200)
			for _, k := range l.open {
				drive(a, press(k))
			}
			if !l.isOpen(a) {
				t.Fatalf("not open after %v", l.open)
			}
			for _, k := range []string{"p", "6", "x", ":", "1", "2", " ", "e", "E", "r", "+", "-", "tab", "shift+tab", "4"} {
				a.toast.text = ""
				drive(a, press(k))
				switch {
				case !l.isOpen(a):
					t.Fatalf("%q closed it", k)
				case a.paused:
					t.Fatalf("%q paused the dashboard", k)
				case a.tab != tabUsers:
					t.Fatalf("%q switched to tab %d", k, a.tab)
				case a.cmdbar.active:
					t.Fatalf("%q opened the command bar", k)
				case strings.Contains(a.toast.text, "export"):
					t.Fatalf("%q exported: %q", k, a.toast.text)
				case k == "r" && l.name == "sources panel":
					// the panel's own r: poll every source now
				case strings.Contains(a.toast.text, "refreshing"), strings.Contains(a.toast.text, "still starting"):
					t.Fatalf("%q reached the sources: %q", k, a.toast.text)
				}
			}
			for a.drill != nil || a.help || a.modal != nil {
				drive(a, press("esc"))
			}
			drive(a, press("6"))
			if a.tab != tabOutbox {
				t.Fatalf("closed, 6 did not switch tabs (tab %d)", a.tab)
			}
		})
	}
}

// TestFocusHintSaysWhy: a global key pressed in the drill-down does
// nothing, and the footer says what closes it first.
func TestFocusHintSaysWhy(t *testing.T) {
	a := newFixtureApp(t, 120, 40, 200)
	drive(a, press("3"))
	drive(a, press("enter"))
	drive(a, press("6"))
	if a.drill == nil || a.toast.text != "esc closes the user drill-down first" {
		t.Fatalf("drill %v, notice %q", a.drill != nil, a.toast.text)
	}
	// A key the drill-down uses is no reason for the hint.
	a.toast.text = ""
	drive(a, press("j"))
	if a.toast.text != "" {
		t.Fatalf("j said %q", a.toast.text)
	}
}

// TestFocusDrillFooterAndQ: in the drill-down the footer offers its own
// keys and ? (not : or q quit, which do not work there); q closes it, and
// on the bare screen q would quit.
func TestFocusDrillFooterAndQ(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 200)
	drive(a, press("3"))
	drive(a, press("enter"))
	foot := a.footer()
	if !strings.Contains(foot, "? help") || strings.Contains(foot, ": command") || strings.Contains(foot, "q quit") {
		t.Fatalf("drill-down footer: %q", foot)
	}
	_, cmd := a.Update(press("q"))
	if a.drill != nil || a.ctx.Err() != nil {
		t.Fatalf("q: drill %v, quitting %v", a.drill != nil, a.ctx.Err())
	}
	_ = cmd
}

// TestFocusScreenOwner: a screen that owns the keyboard (the users find
// line) gets every key; the footer lists its keys and not the global
// ones that would be typed.
func TestFocusScreenOwner(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 200)
	drive(a, press("3"))
	drive(a, press("/"))
	for _, k := range []string{"6", ":", " ", "q"} {
		drive(a, press(k))
	}
	if a.tab != tabUsers || a.paused || a.cmdbar.active || a.ctx.Err() != nil || typedLine(a) != "6: q" {
		t.Fatalf("tab %d, paused %v, cmdbar %v, line %q", a.tab, a.paused, a.cmdbar.active, typedLine(a))
	}
	if foot := a.footer(); strings.Contains(foot, "q quit") || strings.Contains(foot, "? help") {
		t.Fatalf("typing, the footer offers keys that would be typed: %q", foot)
	}
	drive(a, tea.KeyMsg{Type: tea.KeyEsc})
	drive(a, press("6"))
	if a.tab != tabOutbox {
		t.Fatalf("after esc, 6: tab %d", a.tab)
	}
}
