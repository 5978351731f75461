package ui

import (
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
)

// keyMeanings are the keys that mean different things on different
// screens, each with the meanings (the first word of its help) it has;
// the footer and the help say which one applies where. Every other key
// means one thing wherever it is bound. A new double meaning fails
// TestKeysMeanOneThing until it is listed here, on purpose.
var keyMeanings = map[string]string{
	"enter": "close details drill edit open", // what "open" is on each screen; the sources panel closes
	"esc":   "back clear close",              // back out of what is open
	"q":     "close quit",                    // quit; in the help, the sources panel and a drill-down: close
	"S":     "close sources:",                // the sources panel; in it, close it
	"up":    "select up",                     // the Overview's "select" moves its cursor up
	"down":  "down select",                   // and down
	"R":     "reset retry",                   // Users/drill-down: reset a person; Outbox: retry a push
	"d":     "delete drop",                   // Integrations: delete; Outbox: drop a push (both confirmed)
	"s":     "review sort",                   // Behaviors: review and save (no sorting there); elsewhere sort
	"u":     "undo user",                     // Behaviors: undo changes; Events: the user's drill-down
	"h":     "outbox people risk",            // ←: the Outbox/audit lists, the Overview's lists, a behavior's level
	"left":  "outbox people risk",            // as h
	" ":     "enable pause",                  // Behaviors (actions on): toggle; elsewhere pause
	"/":     "filter find",                   // Events: filter; Users: find
	"w":     "score time",                    // Overview: score window; Events: time window
	"y":     "copy",                          // copy what is selected (its noun varies)
	"r":     "poll refresh",                  // the sources panel's r polls every source: the same as refresh
	"P":     "push respond",                  // Events: push every IP in the filter; Alerts: the alert's suggested response
}

// TestKeysMeanOneThing: across every screen, the drill-down, the global
// keys and the panels, a key means one thing, or it is one of the few
// listed in keyMeanings with exactly the meanings listed. e is export
// everywhere (the drill-down's "their events" is v).
func TestKeysMeanOneThing(t *testing.T) {
	a := actionApp(t, 160, 48, &fakeActions{linked: true})
	withCloudflare(t, a)
	setDeps(a, func(d *Deps) { d.Actions = &fakeActions{linked: true, reads: simReads(t)} })
	var all [][]key.Binding
	g := a.keys
	all = append(all, []key.Binding{g.NextTab, g.PrevTab, g.Help, g.Command, g.Pause, g.Refresh, g.Sources, g.Slower, g.Faster, g.Back, g.Quit})
	for i := range a.screens {
		drive(a, press(string(rune('1'+i))))
		all = append(all, a.screens[i].Keys())
	}
	drive(a, press("3"))
	drive(a, press("enter"))
	all = append(all, a.drill.Keys())
	drive(a, press("esc"))
	drive(a, press("S"))
	all = append(all, a.modal.Keys())
	drive(a, press("esc"))

	meanings := map[string]map[string]bool{}
	for _, bs := range all {
		for _, b := range bs {
			desc := strings.ToLower(b.Help().Desc)
			if desc == "" {
				continue // bound alongside another binding that carries the help
			}
			word := strings.Fields(desc)[0]
			for _, k := range b.Keys() {
				if meanings[k] == nil {
					meanings[k] = map[string]bool{}
				}
				meanings[k][word] = true
			}
		}
	}
	for k, ws := range meanings {
		var got []string
		for w := range ws {
			got = append(got, w)
		}
		sort.Strings(got)
		if len(got) == 1 {
			if want, listed := keyMeanings[k]; listed && strings.Contains(want, " ") && k != "y" {
				t.Logf("%q is listed with %q but means only %q now", k, want, got[0])
			}
			continue
		}
		if want := keyMeanings[k]; strings.Join(got, " ") != want {
			t.Errorf("%q means %v on different screens (listed: %q): one meaning, or list it and say it in the footer", k, got, want)
		}
	}
	for _, k := range []string{"e", "E"} {
		if ws := meanings[k]; len(ws) != 1 || !ws["export"] {
			t.Errorf("%q is not export everywhere: %v", k, ws)
		}
	}
}
