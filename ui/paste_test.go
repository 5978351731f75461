package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/ui/form"
	"github.com/risktop/risktop/ui/words"
)

// paste30k is 30,000 characters as an operator might paste by mistake: a
// log excerpt, words and spaces, no control characters.
const pasteLen = 30_000

var paste30k = func() string {
	var b strings.Builder
	for i := 0; b.Len() < pasteLen; i++ {
		fmt.Fprintf(&b, "user%d@example.com failed from 203.0.113.%d ", i, i%250)
	}
	return b.String()[:pasteLen]
}()

// readChunks splits text as Bubble Tea v1's input reader hands over
// characters that arrive without bracketed paste: reads of at most 256
// bytes, each a run of characters up to a space, and each space a key of
// its own.
func readChunks(text string) []tea.KeyMsg {
	var out []tea.KeyMsg
	for len(text) > 0 {
		n := min(256, len(text))
		chunk := text[:n]
		text = text[n:]
		for chunk != "" {
			if chunk[0] == ' ' {
				out = append(out, space)
				chunk = chunk[1:]
				continue
			}
			word, _, _ := strings.Cut(chunk, " ")
			out = append(out, runes(word))
			chunk = chunk[len(word):]
		}
	}
	return out
}

// manyPeople announces n people (Cloudflare's view), so the command bar
// has n ":user <email>" completions as on a real tenant.
func manyPeople(n int) hubMsg {
	views := make([]model.UserRisk, n)
	for i := range views {
		views[i] = model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprintf("cf-%d", i),
			Email: fmt.Sprintf("person%04d@example.com", i), Name: fmt.Sprintf("Person %d", i),
			Level: model.LevelLow, RawLevel: "low", Score: model.NoScore, LastSeen: fixtureNow.Add(-time.Minute)}
	}
	return hubMsg{hub.UsersMsg{Vendor: "cloudflare", At: fixtureNow, Views: views}}
}

// BenchmarkPaste30k: 30,000 characters pasted into the command bar and
// into the events filter, bracketed (one message) and not (a message per
// 256-byte read, split into keys by keysTogether), then one frame drawn,
// on a dashboard that knows 5,000 people.
func BenchmarkPaste30k(b *testing.B) {
	for _, where := range []struct{ name, open string }{{"cmdbar", ":"}, {"filter", "/"}} {
		for _, how := range []string{"bracketed", "unbracketed"} {
			b.Run(where.name+"/"+how, func(b *testing.B) {
				a := newFixtureApp(b, 120, 40, 50)
				drive(a, manyPeople(5000))
				drive(a, press("2"))
				var msgs []tea.KeyMsg
				if how == "bracketed" {
					msgs = []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune(paste30k), Paste: true}}
				} else {
					msgs = readChunks(paste30k)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					a.Update(press(where.open))
					for _, m := range msgs {
						a.Update(m)
					}
					_ = a.View()
					a.Update(press("esc"))
				}
			})
		}
	}
}

// TestLongPasteIsCut: 30,000 characters pasted into the command bar, the
// events filter, the users filter or a form's field, bracketed or not,
// leave the line at its cap and say so.
func TestLongPasteIsCut(t *testing.T) {
	type where struct {
		name  string
		open  func(a *App)
		value func(a *App) string
		limit int
	}
	places := []where{
		{"command bar", func(a *App) { keysOf(a, ":") }, func(a *App) string { return a.cmdbar.in.Value() }, 512},
		{"events filter", func(a *App) { keysOf(a, "2", "/") },
			typedLine, 1024},
		{"users filter", func(a *App) { keysOf(a, "3", "/") },
			typedLine, 1024},
		{"form field", func(a *App) {
			f := form.New(a.c, "Test", "OK")
			f.Text("ip", "IP", "", "", 64)
			drive(a, a.showModal(f.Start()))
		}, func(a *App) string { return a.modal.(*form.Form).Value("ip") }, 64},
	}
	for _, w := range places {
		for _, how := range []string{"bracketed", "unbracketed"} {
			t.Run(w.name+"/"+how, func(t *testing.T) {
				a := newFixtureApp(t, 120, 40, 50)
				w.open(a)
				if how == "bracketed" {
					a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(paste30k), Paste: true})
				} else {
					for _, m := range readChunks(paste30k) {
						a.Update(m)
					}
				}
				got := w.value(a)
				if want := paste30k[:w.limit]; got != want {
					t.Errorf("the line holds %d characters (%.20q…); want the first %d", len([]rune(got)), got, w.limit)
				}
				if want := fmt.Sprintf("pasted text cut to %s characters", words.Thousands(w.limit)); !strings.Contains(a.toast.text, want) {
					t.Errorf("notice %q; want one saying %q", a.toast.text, want)
				}
			})
		}
	}
}

// TestTypingAtTheCapSaysSo: a key typed into a full line is dropped with
// a notice; before it is full, nothing is said.
func TestTypingAtTheCapSaysSo(t *testing.T) {
	a := newFixtureApp(t, 120, 40, 50)
	keysOf(a, ":")
	a.cmdbar.in.SetValue(strings.Repeat("x", 511))
	a.Update(press("y"))
	if a.toast.text != "" {
		t.Fatalf("notice %q before the line was full", a.toast.text)
	}
	a.Update(press("z"))
	if v := a.cmdbar.in.Value(); len(v) != 512 || !strings.HasSuffix(v, "y") {
		t.Errorf("line ends %q (%d)", v[len(v)-3:], len(v))
	}
	if want := "this line holds at most 512 characters"; !strings.Contains(a.toast.text, want) {
		t.Errorf("notice %q; want %q", a.toast.text, want)
	}
}

// TestCommandBarCompletesAfterALongLine: tab completes what is typed,
// also after a line too long to complete was cleared, and completes a
// person who appeared while the bar was open.
func TestCommandBarCompletesAfterALongLine(t *testing.T) {
	a := newFixtureApp(t, 120, 40, 50)
	complete := func(typed string) string {
		a.Update(press("ctrl+u"))
		a.Update(runes(typed))
		a.Update(press("tab"))
		return a.cmdbar.in.Value()
	}
	keysOf(a, ":")
	if got := complete("user ava"); got != "user ava.chen@example.com" {
		t.Errorf("completed %q", got)
	}
	a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(paste30k), Paste: true})
	if got := complete("user sor"); got != "user soren.muller@example.com" {
		t.Errorf("after a long line: completed %q", got)
	}
	drive(a, manyPeople(3))
	if got := complete("user person0002"); got != "user person0002@example.com" {
		t.Errorf("a new person: completed %q", got)
	}
}
