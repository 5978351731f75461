package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// typeKeys types s one key at a time, as a person does.
func typeKeys(a *App, s string) {
	for _, r := range s {
		drive(a, press(string(r)))
	}
}

// typeLine types s in one go (a fast typist; no cursor blink to wait for
// between keys).
func typeLine(a *App, s string) { drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }

// statusLine is the Events status line (the one above the table).
func statusLine(t *testing.T, a *App) string {
	t.Helper()
	for _, l := range strings.Split(a.View(), "\n") {
		if strings.HasPrefix(l, "page ") {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no status line:\n%s", a.View())
	return ""
}

// failedLogins adds sign-in failures to the fixture: their type's name is
// all that says "failed".
func failedLogins(t *testing.T, a *App, n int) {
	t.Helper()
	var evs []model.Event
	for i := range n {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: fmt.Sprint("failed-", i), Time: fixtureNow.Add(-time.Duration(i+1) * 13 * time.Second),
			Type: 6, TypeName: "USER_FAILED_ONELOGIN_LOGIN", UserName: "Ava Chen", IP: "203.0.113.200", Score: 70, Level: model.LevelHigh})
	}
	if _, err := a.c.Store.PutEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

// With an event's detail open, every key is the detail's: "/" closes it
// and opens the filter, and what is typed next goes into the filter, not
// to the dashboard's keys (space pauses, 6 switches tabs, e exports).
func TestEventDetailHasEveryKeyAndSlashFilters(t *testing.T) {
	for _, together := range []bool{false, true} {
		t.Run(fmt.Sprint("together=", together), func(t *testing.T) {
			a := newFixtureApp(t, 100, 30, 400)
			failedLogins(t, a, 5)
			keysOf(a, "2", "enter")
			if !strings.Contains(a.View(), "OneLogin event") {
				t.Fatalf("no detail:\n%s", a.View())
			}
			// Keys the dashboard would take are the detail's now.
			keysOf(a, " ", "6", "e", "E", ":")
			if a.paused || a.tab != tabEvents || a.cmdbar.active || !strings.Contains(a.View(), "OneLogin event") {
				t.Fatalf("a key fell through the detail: paused %v, tab %d, command bar %v:\n%s", a.paused, a.tab, a.cmdbar.active, a.View())
			}
			if !strings.Contains(a.toast.text, "esc closes the Events pane first") {
				t.Fatalf("a global key in the detail said %q", a.toast.text)
			}
			// As over the drill-down: ? shows the help over it, esc comes
			// back to it, and q closes it (it does not quit).
			keysOf(a, "?")
			if !a.help {
				t.Fatal("? in the detail showed no help")
			}
			keysOf(a, "esc")
			if a.help || !strings.Contains(a.View(), "OneLogin event") {
				t.Fatalf("esc from the help did not come back to the detail:\n%s", a.View())
			}
			keysOf(a, "q")
			if strings.Contains(a.View(), "OneLogin event") || a.ctx.Err() != nil {
				t.Fatalf("q in the detail: quit %v\n%s", a.ctx.Err(), a.View())
			}
			keysOf(a, "enter")
			if together {
				drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/failed 6h")})
			} else {
				typeKeys(a, "/failed 6h")
			}
			if got := typedLine(a); got != "failed 6h" {
				t.Fatalf("the filter holds %q, want %q", got, "failed 6h")
			}
			if a.paused || a.tab != tabEvents || strings.Contains(a.toast.text, "export") || strings.Contains(a.toast.text, "unknown command") {
				t.Fatalf("typing ran keys: paused %v, tab %d, notice %q", a.paused, a.tab, a.toast.text)
			}
			drive(a, press("backspace"))
			drive(a, press("backspace"))
			drive(a, press("backspace"))
			drive(a, press("enter"))
			if s := statusLine(t, a); !strings.Contains(s, `5 events · last 1d · "failed"`) {
				t.Fatalf("status %q", s)
			}
			// esc closes a detail and nothing else.
			keysOf(a, "enter", "esc")
			if strings.Contains(a.View(), "OneLogin event") || !strings.Contains(a.View(), "/failed") {
				t.Fatalf("esc did not close the detail alone:\n%s", a.View())
			}
		})
	}
}

// Free text finds the event type's name, and type: takes names and parts
// of names as well as ids.
func TestFilterMatchesTypeNames(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 400)
	failedLogins(t, a, 7)
	keysOf(a, "2")
	for _, c := range []struct{ line, want string }{
		{"failed", `7 events · last 1d · "failed"`},
		{"FAILED", `7 events · last 1d · "FAILED"`},
		{"type:failed", "7 events · last 1d · type failed"},
		{"type:USER_FAILED_ONELOGIN_LOGIN", "7 events · last 1d · type user_failed_onelogin_login"},
		{"type:6", "7 events · last 1d · type 6"},
		{"type:5,failed", "407 events · last 1d · type 5 or failed"},
		{"logged_into", `400 events · last 1d · "logged_into"`},
	} {
		keysOf(a, "/", "ctrl+u")
		typeLine(a, c.line)
		drive(a, press("enter"))
		if s := statusLine(t, a); !strings.Contains(s, c.want) {
			t.Errorf("%s: status %q, want %q", c.line, s, c.want)
		}
	}
}

// A term with an unknown key or a bad value is an error on the filter
// line; the filter applied before stays until the line is right.
func TestFilterErrorsKeepTheFilterApplied(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 400)
	failedLogins(t, a, 3)
	keysOf(a, "2", "/")
	typeLine(a, "failed")
	drive(a, press("enter"))
	applied := statusLine(t, a)
	for _, c := range []struct{ line, says string }{
		{"scor>=abc", `no key "scor": use user ip score type vendor since`},
		{"score>=abc", "score>=abc: want a score from 0 to 100"},
		{"foo:bar", `no key "foo"`},
		{"type:%%", "type:%%: want event type ids or names"},
		{"since:soon", "since:soon: want a duration"},
		{"vendor:nope", "vendor:nope: not a vendor (onelogin, casb, cloudflare, okta)"},
		{"user:", "user: needs a value"},
	} {
		keysOf(a, "/", "ctrl+u")
		typeLine(a, c.line)
		drive(a, press("enter"))
		v := a.View()
		filterLine := ""
		for _, l := range strings.Split(v, "\n") {
			if strings.HasPrefix(l, "/") {
				filterLine = l
			}
		}
		if !strings.Contains(filterLine, "/"+c.line) || !strings.Contains(filterLine, "✖ "+c.says) {
			t.Errorf("%s: filter line %q, want the line and %q", c.line, filterLine, c.says)
		}
		if typedLine(a) != c.line {
			t.Errorf("%s: the filter closed on an error", c.line)
		}
		if s := statusLine(t, a); s != applied {
			t.Errorf("%s: status %q, want the filter before: %q", c.line, s, applied)
		}
		drive(a, press("esc"))
	}
	// Quoted, the same text is free text.
	keysOf(a, "/", "ctrl+u")
	typeLine(a, `"foo:bar"`)
	drive(a, press("enter"))
	if s := statusLine(t, a); !strings.Contains(s, `0 events · last 1d · "foo:bar"`) {
		t.Fatalf("quoted: %q", s)
	}
}

// The status line says exactly the filter applied: since: removed, the
// window is the w key's again.
func TestFilterStatusIsExactlyTheFilter(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 400)
	keysOf(a, "2", "/")
	typeLine(a, "since:1h salesforce")
	drive(a, press("enter"))
	if s := statusLine(t, a); !strings.Contains(s, `last 1h · "salesforce"`) {
		t.Fatalf("status %q", s)
	}
	keysOf(a, "/", "ctrl+u")
	typeLine(a, "salesforce")
	drive(a, press("enter"))
	if s := statusLine(t, a); !strings.Contains(s, `400 events · last 1d · "salesforce"`) || strings.Contains(s, "1h") {
		t.Fatalf("status after since: went %q", s)
	}
	// w writes the window it chose into the line.
	keysOf(a, "w")
	if s := statusLine(t, a); !strings.Contains(s, `last 7d · "salesforce"`) || !strings.Contains(a.View(), "/salesforce since:7d") {
		t.Fatalf("after w: %q\n%s", s, a.View())
	}
}

// The drill-down's "their events" finds what the drill-down listed: a
// person's OneLogin sign-ins carry their name, not their email.
func TestTheirEventsFindEventsByName(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 400)
	drive(a, press(":"))
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("user ava.chen@example.com")})
	drive(a, press("enter"))
	keysOf(a, "v")
	s := statusLine(t, a)
	if !strings.Contains(s, "50 events · all time · user ava.chen@example.com or Ava Chen") {
		t.Fatalf("their events: %q", s)
	}
	n, err := a.c.Store.CountEvents(context.Background(), store.EventFilter{User: "Ava Chen"})
	if err != nil || n != 50 {
		t.Fatalf("the fixture has %d events named Ava Chen (%v)", n, err)
	}
}

// Events at 80×24 and 160×48 with an error on the filter line, and with
// rows from earlier days shown in a fixed zone, date and age beside.
func TestGoldenEventsFilterAndDates(t *testing.T) {
	zone := time.FixedZone("UTC+3", 3*3600)
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		t.Run("filter-error-"+itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
			a := newFixtureApp(t, sz.w, sz.h, 400)
			keysOf(a, "2", "/")
			typeLine(a, "failed scor>=abc")
			keysOf(a, "enter")
			golden.RequireEqual(t, []byte(a.View()))
		})
		t.Run("dated-"+itoa(sz.w)+"x"+itoa(sz.h), func(t *testing.T) {
			a := newFixtureApp(t, sz.w, sz.h, 0)
			a.c.Loc = zone
			var evs []model.Event
			for i, ev := range fixtureEvents(60) {
				ev.Time = fixtureNow.Add(-time.Duration(i) * 97 * time.Minute)
				if i%7 == 3 {
					ev.IP = fmt.Sprintf("2001:db8:4a1f:%x:9c2e:17ff:fe3b:%x", i, 0x1000+i)
				}
				evs = append(evs, ev)
			}
			if _, err := a.c.Store.PutEvents(context.Background(), evs); err != nil {
				t.Fatal(err)
			}
			keysOf(a, "2", "w", "]")
			golden.RequireEqual(t, []byte(a.View()))
			keysOf(a, "enter")
			t.Run("detail", func(t *testing.T) { golden.RequireEqual(t, []byte(a.View())) })
		})
	}
}

// :save and :view keep the Events filter and order in the store, per
// operator, offered by completion; bad names and unknown views say so.
func TestSavedViews(t *testing.T) {
	a := actionApp(t, 160, 48, &fakeActions{})
	failedLogins(t, a, 4)
	keysOf(a, "2", "/")
	typeLine(a, "failed since:7d")
	keysOf(a, "enter", "s")
	command := func(line string) {
		keysOf(a, ":")
		typeLine(a, line)
		keysOf(a, "enter")
	}
	command("save failed-7d")
	if !strings.Contains(a.toast.text, "saved view failed-7d (failed since:7d)") {
		t.Fatalf("notice %q", a.toast.text)
	}
	command("save bad/name")
	if !strings.Contains(a.toast.text, `"bad/name" is not a view name`) {
		t.Fatalf("notice %q", a.toast.text)
	}
	keysOf(a, "esc", "esc", "s", "1")
	command("view nope")
	if a.toast.text != "no view named nope — saved: failed-7d" {
		t.Fatalf("notice %q", a.toast.text)
	}
	command("view failed-7d")
	if s := statusLine(t, a); a.tab != tabEvents || !strings.Contains(s, `4 events · last 7d · "failed" · riskiest first`) {
		t.Fatalf("tab %d, status %q", a.tab, s)
	}
	// Completion offers the saved view.
	keysOf(a, ":")
	typeLine(a, "view f")
	keysOf(a, "tab")
	if got := typedLine(a); got != "view failed-7d" {
		t.Fatalf("completed to %q", got)
	}
}

// :ip with a prefix filters the events to it and opens the bulk push
// form over the addresses of the events shown; completion offers the
// addresses seen and their prefixes.
func TestIPPrefixOpensTheBulkForm(t *testing.T) {
	a := actionApp(t, 160, 48, &fakeActions{})
	keysOf(a, ":")
	typeLine(a, "ip 203.0")
	keysOf(a, "tab")
	if got := typedLine(a); !strings.HasPrefix(got, "ip 203.0.113.") {
		t.Fatalf("completed to %q", got)
	}
	keysOf(a, "esc", ":")
	typeLine(a, "ip 203.0.113.0/24")
	keysOf(a, "enter")
	n, err := a.c.Store.CountEvents(context.Background(), store.EventFilter{IP: "203.0.113.0/24", From: fixtureNow.Add(-24 * time.Hour)})
	if err != nil || n == 0 {
		t.Fatal(n, err)
	}
	v := a.View()
	for _, want := range []string{"Push IP risk to Okta:", "from the events filter: last 1d · ip 203.0.113.0/24", fmt.Sprintf("%d events", n)} {
		if !strings.Contains(v, want) {
			t.Fatalf("no %q:\n%s", want, v)
		}
	}
}
