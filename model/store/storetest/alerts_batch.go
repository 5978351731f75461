package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func init() {
	alertsCases = append(alertsCases, Case{"PutAlertsInsertsABatch", testPutAlertsInsertsABatch})
}

// New alerts of one PutAlerts go in together: each returned as stored,
// in the findings' order, with sequence numbers in that order; a finding
// whose key is still waiting to be inserted updates it once inserted; a
// back-filled alert is superseded in the same batch.
func testPutAlertsInsertsABatch(t *testing.T, open Opener) {
	s := openAlerts(t, open).Store
	ctx := context.Background()
	t0 := alertsNow
	old := burstFinding("198.51.100.0/24", 5, t0.Add(-5*time.Hour), t0.Add(-5*time.Hour))
	old.Backfilled = true
	_, err := s.PutAlerts(ctx, t0, []model.Alert{old}, nil, nil)
	alertsMust(t, err)

	a := burstFinding("203.0.113.0/24", 20, t0, t0.Add(time.Minute))
	again := burstFinding("203.0.113.0/24", 25, t0.Add(time.Minute), t0.Add(2*time.Minute))
	fresh := burstFinding("198.51.100.0/24", 9, t0.Add(time.Minute), t0.Add(time.Minute))
	c := burstFinding("2001:db8::/48", 11, t0, t0.Add(time.Minute))
	d := burstFinding("2001:db8:1::/48", 10, t0, t0)
	got, err := s.PutAlerts(ctx, t0.Add(3*time.Minute), []model.Alert{a, again, fresh, c, d}, nil, nil)
	alertsMust(t, err)
	wantKeys := []string{a.Key, a.Key, old.Key, fresh.Key, c.Key, d.Key} // a, a updated, the back-filled one resolved, fresh, c, d
	if len(got) != len(wantKeys) {
		t.Fatalf("got %d alerts: %+v", len(got), got)
	}
	for i, g := range got {
		if g.Key != wantKeys[i] {
			t.Errorf("alert %d is %q, want %q", i, g.Key, wantKeys[i])
		}
		if i > 0 && g.Seq <= got[i-1].Seq {
			t.Errorf("alert %d has seq %d after %d", i, g.Seq, got[i-1].Seq)
		}
	}
	if got[0].ID != got[1].ID || got[1].Incident.Failures != 25 {
		t.Errorf("the repeated key did not update the alert it inserted: %+v, %+v", got[0], got[1])
	}
	if got[2].State != model.AlertResolved || got[3].State != model.AlertOpen || got[3].ID == got[2].ID {
		t.Errorf("the back-filled alert was not superseded: %+v, %+v", got[2], got[3])
	}
	for _, g := range []model.Alert{got[1], got[3], got[4], got[5]} {
		stored, err := s.Alert(ctx, g.ID)
		alertsMust(t, err)
		if !reflect.DeepEqual(stored, g) {
			t.Errorf("stored %+v\nreturned %+v", stored, g)
		}
	}
}
