package ui

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// benchAlerts stores n live alerts, each with full evidence (500 people,
// 500 addresses, 500 events): the worst the engine writes.
func benchAlerts(b *testing.B, a *App, n int) {
	b.Helper()
	var fs []model.Alert
	for i := 0; i < n; i++ {
		f := burstAlert(fixtureNow.Add(-time.Duration(i) * time.Minute))
		f.Key = fmt.Sprintf("burst:198.%d.%d.0/24", i/256, i%256)
		f.Evidence = model.Evidence{}
		for j := 0; j < model.MaxEvidence; j++ {
			f.Evidence.AddPerson(fmt.Sprintf("p%d-%d@example.com", i, j))
			f.Evidence.AddAddress(fmt.Sprintf("198.%d.%d.%d", i/256, i%256, j%256))
			f.Evidence.AddEvent(model.EventRef{Vendor: "onelogin", ID: fmt.Sprint(i*1000 + j)})
		}
		fs = append(fs, f)
	}
	if _, err := a.deps.Store.PutAlerts(context.Background(), fixtureNow, fs, nil, nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAlertsListReload: AlertsChanged with 200 live alerts of full
// evidence: the list's page read (in its command), its rows, and the
// root's summary (counts, who is rising) read again.
func BenchmarkAlertsListReload(b *testing.B) {
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkAlertsListReload(b, n) })
	}
}

func benchmarkAlertsListReload(b *testing.B, n int) {
	a := newFixtureApp(b, 160, 48, 0)
	benchAlerts(b, a, n)
	drive(a, hubMsg{hub.AlertsChanged{Seq: 1}}) // the root reads the new alerts once
	drive(a, press("7"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		drive(a, hubMsg{hub.AlertsChanged{Seq: int64(i + 2)}})
	}
}

// BenchmarkAlertsSummary: the root's summary (counts, who is rising)
// from the live alerts it keeps (200 of full evidence: 100,000 people)
// and the last hour's rises, which every AlertsChanged and every change
// of people recompute in a command. The live alerts are read whole once
// a session; after that only the changed ones are.
func BenchmarkAlertsSummary(b *testing.B) {
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkAlertsSummary(b, n) })
	}
}

func benchmarkAlertsSummary(b *testing.B, n int) {
	a := newFixtureApp(b, 160, 48, 0)
	benchAlerts(b, a, n)
	ctx := context.Background()
	all, err := a.deps.Store.LiveAlerts(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	var changed []model.Alert
	for _, al := range all {
		changed = append(changed, al)
	}
	live := nextLive(nil, changed)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := summarize(ctx, a.deps.Store, nextLive(live, changed[:1]), fixtureNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAlertsCursorView: a cursor move and the frame after it, on a
// list of 200 alerts.
func BenchmarkAlertsCursorView(b *testing.B) {
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchmarkAlertsCursorView(b, n) })
	}
}

func benchmarkAlertsCursorView(b *testing.B, n int) {
	a := newFixtureApp(b, 160, 48, 0)
	benchAlerts(b, a, n)
	drive(a, press("7"))
	down, up := press("j"), press("k")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := down
		if i%40 >= 20 {
			k = up
		}
		a.Update(k)
		_ = a.View()
	}
}
