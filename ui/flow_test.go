package ui

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/events"
)

// fakeControl records what the dashboard asked of the pollers.
type fakeControl struct {
	refreshed []string
	scales    []float64
}

func (f *fakeControl) Refresh(s string) { f.refreshed = append(f.refreshed, s) }
func (f *fakeControl) Scale(x float64) map[string]time.Duration {
	f.scales = append(f.scales, x)
	return map[string]time.Duration{"onelogin": time.Duration(30*x) * time.Second}
}

type flow struct {
	t   *testing.T
	tm  *teatest.TestModel
	hub *hub.Hub
	st  *store.SQLite
	ctl *fakeControl
}

// newFlow runs the dashboard as a real Bubble Tea program over a store
// holding the fixture, fed by a hub the test publishes to.
func newFlow(t *testing.T, events int) *flow {
	return newFlowWith(t, events, nil)
}

// newFlowWith is newFlow with the Deps adjusted by with (actions, a
// Cloudflare client, a clipboard) before the program starts.
func newFlowWith(t *testing.T, events int, with func(*Deps)) *flow {
	st := emptyStore(t)
	if events > 0 {
		if _, err := st.PutEvents(context.Background(), fixtureEvents(events)); err != nil {
			t.Fatal(err)
		}
	}
	bus := hub.New()
	for _, m := range fixtureMsgs() {
		bus.Publish(m)
	}
	ctl := &fakeControl{}
	d := Deps{Vendors: vendors.Infos(), Store: st, Hub: bus, Control: ctl, Theme: asciiTheme(), Title: "acme", Now: func() time.Time { return fixtureNow }}
	if with != nil {
		with(&d)
	}
	a := New(d)
	tm := teatest.NewTestModel(t, a, teatest.WithInitialTermSize(100, 30))
	t.Cleanup(func() { tm.Quit() })
	return &flow{t: t, tm: tm, hub: bus, st: st, ctl: ctl}
}

// see waits until the screen shows every one of want.
func (f *flow) see(want ...string) {
	f.t.Helper()
	teatest.WaitFor(f.t, f.tm.Output(), func(b []byte) bool {
		for _, w := range want {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// seeRe waits until the screen matches the regular expression re.
func (f *flow) seeRe(re string) {
	f.t.Helper()
	rx := regexp.MustCompile(re)
	teatest.WaitFor(f.t, f.tm.Output(), rx.Match,
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func (f *flow) keys(ks ...string) {
	for _, k := range ks {
		f.tm.Send(press(k))
	}
}

// final quits with ctrl+c, which quits from anywhere (q closes what is
// open first), and returns the dashboard.
func (f *flow) final() *App {
	f.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	m := f.tm.FinalModel(f.t, teatest.WithFinalTimeout(5*time.Second))
	return m.(*App)
}

func TestFlowTabsAndPagingAndFilter(t *testing.T) {
	f := newFlow(t, 400)
	f.see("OneLogin risk", "Riskiest people")
	f.keys("2")
	f.see("page 1 of")
	f.keys("]")
	f.see("page 2 of")
	f.keys("]")
	f.see("page 3 of")
	f.keys("[")
	f.see("page 2 of")
	f.keys("G")
	f.see("page 18 of 18") // 23 rows a page at 100×30 (the header has a line for CASB's error)
	f.keys("g")
	f.see("page 1 of 18")
	f.keys("/")
	f.tm.Type("score>=90")
	f.keys("enter")
	// The filter line shows at once; wait until the filtered page is counted
	// and loaded: nothing but padding after the sort name.
	f.seeRe(`page 1 of \d+ · [\d,]+ events? · (?:[^·]+· )*score ≥ 90 · newest first(?:$|[^ ]| [^·])`)
	f.keys("3")
	f.see("8 people")
	a := f.final()
	ev := a.screens[tabEvents].(*events.Screen)
	if ev.Filter().MinScore != 90 || a.tab != tabUsers {
		t.Fatalf("filter %+v, tab %d", ev.Filter(), a.tab)
	}
	for _, e := range ev.Events() {
		if e.Score < 90 {
			t.Fatalf("event %s scores %d under the filter score>=90", e.ID, e.Score)
		}
	}
}

func TestFlowDrillDownAndBack(t *testing.T) {
	f := newFlow(t, 400)
	f.keys("3")
	f.see("8 people")
	f.keys("enter")
	f.see("joined:", "Oracle CASB", "OneLogin sign-ins")
	f.keys("esc")
	f.see("merged across vendors")
	f.keys(":")
	f.tm.Type("user soren.muller@example.com")
	f.keys("enter")
	f.see("Søren Müller")
	a := f.final()
	if a.drill == nil || a.drill.Key() != "soren.muller@example.com" {
		t.Fatalf("drill = %+v", a.drill)
	}
}

func TestFlowPauseHoldsAnnouncementsAndResumeAppliesThem(t *testing.T) {
	f := newFlow(t, 50)
	f.see("LIVE", "Okta 3m") // the pollers' first announcements are in
	f.keys(" ")
	f.see("PAUSED · 0 new")
	f.hub.Publish(hub.EventsMsg{Vendor: "onelogin", Inserted: 25, Newest: fixtureNow})
	f.hub.Publish(hub.HealthMsg{Health: model.Health{Source: "okta", State: model.StateFailing, Failures: 3,
		LastError: "okta: 401", NextPoll: fixtureNow.Add(5 * time.Minute)}})
	f.see("PAUSED · 25 new")
	f.keys(" ")
	f.see("LIVE", "OKTA retry 5m")
	f.keys("r", "+")
	f.see("poll every")
	a := f.final()
	if a.paused || a.waiting != 0 || a.data.Health["okta"].State != model.StateFailing {
		t.Fatalf("after resume: paused %v, waiting %d, okta %v", a.paused, a.waiting, a.data.Health["okta"].State)
	}
	if len(f.ctl.refreshed) != 1 || len(f.ctl.scales) != 1 || f.ctl.scales[0] != 1.5 {
		t.Fatalf("control saw refresh %v scale %v", f.ctl.refreshed, f.ctl.scales)
	}
}

func TestFlowUnknownCommandSaysWhatExists(t *testing.T) {
	f := newFlow(t, 0)
	f.keys(":")
	f.tm.Type("frobnicate")
	f.keys("enter")
	f.see("unknown command :frobnicate")
	f.keys(":")
	f.tm.Type("ip 999.1.1.1")
	f.keys("enter")
	f.see("not an IPv4 or IPv6 address")
	f.keys(":")
	f.tm.Type("ip 203.0.113.0/24")
	f.keys("enter")
	f.see("ip 203.0.113.0/24")
	a := f.final()
	if a.tab != tabEvents || a.screens[tabEvents].(*events.Screen).Filter().IP != "203.0.113.0/24" {
		t.Fatal("the :ip command did not filter the events")
	}
	_ = strings.TrimSpace
	_ = tea.Quit
}
