package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/theme"
)

// burstAlert is the demo's burst as the engine stores it: a range, its
// incident, the people and addresses of its failures, and a push of the
// addresses as its response.
func burstAlert(at time.Time) model.Alert {
	a := model.Alert{Rule: "burst", Kind: model.KindFailedBurst, Severity: model.LevelHigh, Key: "burst:203.0.113.0/24",
		Title: "Burst of failed sign-ins from 203.0.113.0/24", Subject: "203.0.113.0/24",
		FirstSeen: at.Add(-3 * time.Minute), LastSeen: at, Count: 1,
		Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}}
	for i := 0; i < 6; i++ {
		a.Evidence.AddAddress(fmt.Sprintf("203.0.113.%d", 10+i))
	}
	for _, p := range fixturePeople[:4] {
		a.Evidence.AddPerson(p.email)
	}
	for i := 0; i < 12; i++ {
		a.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: fmt.Sprint(900000000 + i*9)})
	}
	a.Incident = &model.Incident{Range: "203.0.113.0/24", Addresses: 6, People: 4, Failures: 12, From: a.FirstSeen, To: a.LastSeen}
	return a
}

// fixtureAlerts stores the alerts the Alerts tab's goldens show: the
// burst (open, High), a rise (open, Critical, push the person), two
// vendors (acknowledged, reset), an old back-filled score (resolved), and
// it returns them as stored.
func fixtureAlerts(t testing.TB, st store.Store) []model.Alert {
	t.Helper()
	ctx := context.Background()
	rise := model.Alert{Rule: "rise", Kind: model.KindLevelRise, Severity: model.LevelCritical, Key: "rise:ava.chen@example.com:casb",
		Title: "Ava Chen rose to Critical in CASB", Subject: "ava.chen@example.com", FirstSeen: fixtureNow.Add(-20 * time.Minute),
		LastSeen: fixtureNow.Add(-20 * time.Minute), Count: 1, Response: model.Response{Kind: model.ResponsePushPerson, Level: model.LevelHigh}}
	rise.Evidence.AddPerson("ava.chen@example.com")
	two := model.Alert{Rule: "two_vendors", Kind: model.KindMultiVendor, Severity: model.LevelMedium, Key: "multi:soren.muller@example.com",
		Title: "Søren Müller is High in two vendors", Subject: "soren.muller@example.com", FirstSeen: fixtureNow.Add(-50 * time.Minute),
		LastSeen: fixtureNow.Add(-10 * time.Minute), Count: 3, Response: model.Response{Kind: model.ResponseResetCloudflare}}
	two.Evidence.AddPerson("soren.muller@example.com")
	old := model.Alert{Rule: "score", Kind: model.KindHighScore, Severity: model.LevelHigh, Key: "score:yamada.taro@example.com",
		Title: "Score 96 for 山田 太郎", Subject: "yamada.taro@example.com", FirstSeen: fixtureNow.Add(-50 * time.Hour),
		LastSeen: fixtureNow.Add(-49 * time.Hour), Count: 2, Backfilled: true}
	old.Evidence.AddPerson("yamada.taro@example.com")
	stored, err := st.PutAlerts(ctx, fixtureNow.Add(-time.Hour), []model.Alert{old, two, rise}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetAlertState(ctx, stored[0].ID, model.AlertResolved, "ssh:ops-laptop", fixtureNow.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetAlertState(ctx, stored[1].ID, model.AlertAcknowledged, "zoe", fixtureNow.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	burst, err := st.PutAlerts(ctx, fixtureNow, []model.Alert{burstAlert(fixtureNow.Add(-time.Minute))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := []model.Alert{}
	for _, a := range append(stored, burst...) {
		got, err := st.Alert(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

// alertsApp is the fixture dashboard with the fixture's alerts, told of
// them as the engine tells it.
func alertsApp(t testing.TB, w, h int) (*App, []model.Alert) {
	t.Helper()
	a := newFixtureApp(t, w, h, 400)
	as := fixtureAlerts(t, a.deps.Store)
	seq, err := a.deps.Store.AlertSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	drive(a, hubMsg{hub.AlertsChanged{Seq: seq}})
	return a, as
}

// newAlertsApp is the fixture dashboard started on a store that already
// holds the fixture's alerts (withAlerts) or none: alerts older than the
// session, so none is announced.
func newAlertsApp(t testing.TB, w, h int, th *theme.Theme, withAlerts bool) (*App, []model.Alert) {
	t.Helper()
	st := emptyStore(t)
	if _, err := st.PutEvents(context.Background(), fixtureEvents(400)); err != nil {
		t.Fatal(err)
	}
	var as []model.Alert
	if withAlerts {
		as = fixtureAlerts(t, st)
	}
	a := New(Deps{Vendors: vendors.Infos(), Store: st, Theme: th, Title: "acme", Now: func() time.Time { return fixtureNow }, After: noTimers})
	drive(a, tea.WindowSizeMsg{Width: w, Height: h})
	drive(a, a.Init())
	drive(a, hubMsg(fixtureMsgs()))
	return a, as
}

func TestDumpAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	for _, sz := range [][2]int{{80, 24}, {160, 48}} {
		a, _ := newAlertsApp(t, sz[0], sz[1], asciiTheme(), true)
		for _, k := range []string{"7", "f", "f", "f", "enter", "esc", "3"} {
			drive(a, press(k))
			t.Log("\n" + a.View())
		}
	}
}
