package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// fakeFaults records what :fault asked of the simulator.
type fakeFaults struct{ set []string }

func (f *fakeFaults) FaultNames() []string { return []string{"down", "slow", "clear"} }
func (f *fakeFaults) SetFault(vendor, name string) (string, error) {
	if name != "down" && name != "slow" && name != "clear" {
		return "", errors.New(`unknown fault "` + name + `"; one of down, slow, clear`)
	}
	f.set = append(f.set, vendor+" "+name)
	if name == "clear" {
		return "answers normally again", nil
	}
	return "drops every connection", nil
}

// command types a ':' line and presses enter, by hand (drive would wait
// out the cursor's blink on every key).
func command(a *App, line string) {
	a.Update(press(":"))
	a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(line)})
	a.Update(press("enter"))
}

// TestFaultCommandInTheDemo: :fault switches a simulated vendor, polls it
// at once and says how to heal it; wrong arguments say what it takes;
// the command is listed in help and completed only where it works.
func TestFaultCommandInTheDemo(t *testing.T) {
	ff, ctl := &fakeFaults{}, &fakeControl{}
	a := newFixtureApp(t, 120, 40, 0)
	setDeps(a, func(d *Deps) { d.Faults, d.Control, d.Actions = ff, ctl, &fakeActions{} })

	command(a, "fault OKTA down")
	if strings.Join(ff.set, ",") != "okta down" || strings.Join(ctl.refreshed, ",") != "okta" {
		t.Fatalf("set %q, refreshed %q", ff.set, ctl.refreshed)
	}
	if a.toast.err || a.toast.text != "simulated okta now drops every connection — :fault okta clear heals it" {
		t.Errorf("notice %q", a.toast.text)
	}
	command(a, "fault okta clear")
	if a.toast.text != "simulated okta answers normally again" || len(ctl.refreshed) != 2 {
		t.Errorf("clear: notice %q, refreshed %q", a.toast.text, ctl.refreshed)
	}
	for _, c := range []struct{ line, want string }{
		{"fault", ":fault needs a vendor and a fault, e.g. :fault okta down (faults: down, slow, clear)"},
		{"fault okta", ":fault needs a vendor and a fault"},
		{"fault okta down now", ":fault needs a vendor and a fault"},
		{"fault okta broken", `:fault: unknown fault "broken"; one of down, slow, clear`},
	} {
		command(a, c.line)
		if !a.toast.err || !strings.Contains(a.toast.text, c.want) {
			t.Errorf(":%s: notice %q (error %v), want %q", c.line, a.toast.text, a.toast.err, c.want)
		}
	}
	if len(ff.set) != 2 {
		t.Errorf("wrong arguments reached the simulator: %q", ff.set)
	}
	if !strings.Contains(a.helpText(120), ":fault <vendor> <fault>") {
		t.Error("help does not list :fault in the demo")
	}
	if !slices.Contains(a.completions(), "fault cloudflare slow") {
		t.Error("no completion for :fault cloudflare slow")
	}
}

// TestFaultCommandElsewhere: outside the demo :fault is neither listed nor
// completed and says where it works; a viewer (or read-only) session may
// not switch the shared simulator.
func TestFaultCommandElsewhere(t *testing.T) {
	a := newFixtureApp(t, 120, 40, 0)
	command(a, "fault okta down")
	if !a.toast.err || a.toast.text != ":fault works only in risktop demo, where the vendors are simulated" {
		t.Errorf("outside the demo: %q", a.toast.text)
	}
	if strings.Contains(a.helpText(120), ":fault") || slices.Contains(a.completions(), "fault") {
		t.Error(":fault is offered outside the demo")
	}

	ff := &fakeFaults{}
	setDeps(a, func(d *Deps) { d.Faults = ff })
	setDeps(a, func(d *Deps) {
		d.Actions = &fakeActions{readOnly: true, refusal: errors.New("this SSH key may view, not act")}
	})
	command(a, "fault okta down")
	if !a.toast.err || a.toast.text != ":fault changes the demo for everyone: this SSH key may view, not act" || len(ff.set) != 0 {
		t.Errorf("viewer: notice %q, set %q", a.toast.text, ff.set)
	}
}
