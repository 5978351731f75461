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
	a := newFixtureApp(b, 160, 48, 0)
	benchAlerts(b, a, 200)
	drive(a, press("7"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		drive(a, hubMsg{hub.AlertsChanged{Seq: int64(i + 1)}})
	}
}

// BenchmarkAlertsSummary: the root's read of the live alerts' summary
// alone (200 alerts of full evidence), which AlertsChanged and every
// change of people start.
func BenchmarkAlertsSummary(b *testing.B) {
	a := newFixtureApp(b, 160, 48, 0)
	benchAlerts(b, a, 200)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := readSummary(ctx, a.deps.Store, fixtureNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAlertsCursorView: a cursor move and the frame after it, on a
// list of 200 alerts.
func BenchmarkAlertsCursorView(b *testing.B) {
	a := newFixtureApp(b, 160, 48, 0)
	benchAlerts(b, a, 200)
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
