package ui

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/theme"
)

// fixtureNow is the pinned clock of every UI test.
var fixtureNow = time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)

func asciiTheme() *theme.Theme {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return theme.New(r)
}

// people of the fixture: some non-ASCII, one CJK, one emoji, one without a
// name, one with a long name.
var fixturePeople = []struct{ name, email string }{
	{"Ava Chen", "ava.chen@example.com"},
	{"Søren Müller", "soren.muller@example.com"},
	{"山田 太郎", "yamada.taro@example.com"},
	{"Zoë O'Brien 👩‍💻", "zoe.obrien@example.com"},
	{"", "user1004@example.com"},
	{"Maximiliana Alexandrovna Konstantinopolskaya-Worthington", "max.k@example.com"},
	{"Ben Okafor", "ben.okafor@example.com"},
	{"Priya Iyer", "priya.iyer@example.com"},
}

// fixtureEvents are OneLogin-like sign-ins over the last two hours.
func fixtureEvents(n int) []model.Event {
	evs := make([]model.Event, 0, n)
	for i := 0; i < n; i++ {
		p := fixturePeople[i%len(fixturePeople)]
		score := (i * 37) % 101
		if i%13 == 5 {
			score = model.NoScore // sign-ins without a SmartFactor score
		}
		name := p.name
		key := ""
		if name == "" {
			name, key = p.email, p.email
		}
		ip := fmt.Sprintf("198.51.100.%d", 1+i%200)
		if i%9 == 0 {
			ip = fmt.Sprintf("203.0.113.%d", 10+i%40)
		}
		evs = append(evs, model.Event{
			Vendor: "onelogin", ID: fmt.Sprint(900000000 + i),
			Time: fixtureNow.Add(-time.Duration(n-i) * 7 * time.Second), Type: 5, TypeName: "USER_LOGGED_INTO_ONELOGIN",
			UserID: fmt.Sprint(40000000 + i%len(fixturePeople)), UserName: name, UserKey: key, IP: ip,
			Score: score, Level: model.LevelOfScore(score), App: "Salesforce",
			Reasons: "Infrequent access from " + ip + " (13%)\nNew device (20%)",
			Fields:  map[string]string{"notes": "Authentication method: password.", "browser_fingerprint": "71f0abc"},
		})
	}
	return evs
}

func fixtureMsgs() []hub.Msg {
	var cf, casb []model.UserRisk
	for i, p := range fixturePeople {
		lv := []model.Level{model.LevelHigh, model.LevelMedium, model.LevelLow}[i%3]
		cf = append(cf, model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprintf("cf-%d", i), Email: p.email,
			Name: p.name, Level: lv, RawLevel: lv.String(), Score: model.NoScore, Events: 3 + i, LastSeen: fixtureNow.Add(-time.Duration(i) * time.Minute)})
		cl := []model.Level{model.LevelCritical, model.LevelHigh, model.LevelMedium, model.LevelLow, model.LevelNone}[i%5]
		casb = append(casb, model.UserRisk{Vendor: "casb", Email: p.email, Level: cl, RawLevel: cl.Label(),
			Score: 90 - i*10, Context: "SFDC / publiceventsapi",
			Reasons: []model.Reason{{Code: "NETWRK_PREFIX_EVENTS", Text: "Total IP network prefix for all events", Count: i + 1}}})
	}
	ok := func(v string) model.Health {
		return model.Health{Source: v, State: model.StateOK, LastSuccess: fixtureNow.Add(-20 * time.Second),
			NextPoll: fixtureNow.Add(10 * time.Second), RateLimit: model.RateLimit{Known: true, Limit: 5000, Remaining: 4210}}
	}
	degraded := ok("casb")
	degraded.State, degraded.Failures, degraded.LastError = model.StateDegraded, 1, "casb: GET /api/v1/reports: 503 Service Unavailable"
	degraded.NextPoll = fixtureNow.Add(90 * time.Second)
	degraded.RateLimit = model.RateLimit{}
	return []hub.Msg{
		hub.HealthMsg{Health: ok("onelogin")}, hub.HealthMsg{Health: degraded},
		hub.HealthMsg{Health: ok("cloudflare")},
		hub.HealthMsg{Health: model.Health{Source: "okta", State: model.StateOK, LastSuccess: fixtureNow.Add(-3 * time.Minute), Note: "push only"}},
		hub.UsersMsg{Vendor: "cloudflare", At: fixtureNow, Views: cf},
		hub.UsersMsg{Vendor: "casb", At: fixtureNow, Views: casb},
		hub.ScoresMsg{Scores: model.Scores{Window: 24 * time.Hour, Counts: [5]int{50, 165, 30, 17, 9}, Total: 271, At: fixtureNow}},
		hub.EventsMsg{Vendor: "onelogin", Inserted: 400, Newest: fixtureNow},
	}
}

// newFixtureApp is an App on a store holding the fixture, sized w×h, with
// the fixture's announcements applied and every pending read run.
func newFixtureApp(t testing.TB, w, h int, events int) *App {
	t.Helper()
	return newFixtureAppTheme(t, w, h, events, asciiTheme())
}

func newFixtureAppTheme(t testing.TB, w, h int, events int, th *theme.Theme) *App {
	t.Helper()
	st, err := store.Open(":memory:", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if events > 0 {
		if _, err := st.PutEvents(context.Background(), fixtureEvents(events)); err != nil {
			t.Fatal(err)
		}
	}
	a := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: th, Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: w, Height: h})
	drive(a, a.Init())
	drive(a, hubMsg(fixtureMsgs()))
	return a
}

// setDeps changes the dashboard's deps after New, as an Attach does.
func setDeps(a *App, f func(d *Deps)) {
	f(&a.deps)
	a.syncContext()
}

// typedLine is what the text input that has the keyboard holds ("" when
// none has it).
func typedLine(a *App) string {
	if in := a.textInput(); in != nil {
		return in.Value()
	}
	return ""
}

// answered is cmd and the dashboard's answer to what the code that made
// it asked (a flow called outside Update).
func answered(a *App, cmd tea.Cmd) tea.Cmd { return tea.Batch(cmd, a.answer()) }

// drive feeds a message (or runs a command and feeds its results) through
// Update, running every command it returns except timers, until quiet.
func drive(a *App, m any) {
	queue := []any{m}
	for len(queue) > 0 && len(queue) < 10_000 {
		x := queue[0]
		queue = queue[1:]
		switch x := x.(type) {
		case nil:
		case tea.Cmd:
			if x != nil {
				queue = append(queue, runCmd(x)...)
			}
		case tea.Msg:
			_, cmd := a.Update(x)
			if cmd != nil {
				queue = append(queue, cmd)
			}
		}
	}
}

// noTimers leaves the dashboard's timers out of Update-driven tests.
func noTimers(time.Duration, tea.Msg) tea.Cmd { return nil }

// runCmd runs a command (a store read, in these tests) and unpacks batches.
func runCmd(c tea.Cmd) []any {
	done := make(chan tea.Msg, 1)
	go func() { done <- c() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(20 * time.Second):
		panic("a command did not return in 20s")
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		out := make([]any, 0, len(msg))
		for _, c := range msg {
			if c != nil {
				out = append(out, c)
			}
		}
		return out
	case nil:
		return nil
	default:
		return []any{msg}
	}
}

func TestDumpScreens(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	a := newFixtureApp(t, 80, 24, 400)
	t.Log("\n" + a.View())
	a2 := newFixtureApp(t, 160, 48, 400)
	t.Log("\n" + a2.View())
}

func TestDumpEvents(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	a := newFixtureApp(t, 100, 24, 400)
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2")})
	t.Log("\n" + a.View())
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("]")})
	t.Log("\n" + a.View())
	drive(a, tea.KeyMsg{Type: tea.KeyEnter})
	t.Log("\n" + a.View())
}

func TestDumpUsers(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	a := newFixtureApp(t, 100, 30, 400)
	drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("3")})
	t.Log("\n" + a.View())
	drive(a, tea.KeyMsg{Type: tea.KeyEnter})
	t.Log("\n" + a.View())
}

func TestDumpRest(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	a := newFixtureApp(t, 100, 24, 0)
	for _, k := range []string{"4", "5", "6", "?"} {
		drive(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		t.Log("\n" + a.View())
	}
}
