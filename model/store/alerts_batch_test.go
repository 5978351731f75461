package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// New alerts of one PutAlerts go in together: each returned as stored,
// in the findings' order, with sequence numbers in that order; a finding
// whose key is still waiting to be inserted updates it once inserted;
// texts that are not valid UTF-8 are kept byte for byte; a back-filled
// alert is superseded in the same batch.
func TestPutAlertsInsertsABatch(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	old := burstFinding("198.51.100.0/24", 5, t0.Add(-5*time.Hour), t0.Add(-5*time.Hour))
	old.Backfilled = true
	_, err := s.PutAlerts(ctx, t0, []model.Alert{old}, nil, nil)
	must(t, err)

	a := burstFinding("203.0.113.0/24", 20, t0, t0.Add(time.Minute))
	b := burstFinding("192.0.2.0/24", 12, t0, t0.Add(time.Minute))
	b.Title, b.Subject = "Burst \xff from 192.0.2.0/24", "192.0.2.0/24\xfe"
	again := burstFinding("203.0.113.0/24", 25, t0.Add(time.Minute), t0.Add(2*time.Minute))
	fresh := burstFinding("198.51.100.0/24", 9, t0.Add(time.Minute), t0.Add(time.Minute))
	c := burstFinding("2001:db8::/48", 11, t0, t0.Add(time.Minute))
	// b's odd bytes make the batch go in row by row; without it, in one
	// statement.
	var got []model.Alert
	for _, batch := range [][]model.Alert{{a, again, fresh, c}, {b, burstFinding("2001:db8:1::/48", 10, t0, t0)}} {
		g, err := s.PutAlerts(ctx, t0.Add(3*time.Minute), batch, nil, nil)
		must(t, err)
		got = append(got, g...)
	}
	if len(got) != 7 { // a, a updated, the back-filled one resolved, fresh, c; b, the other
		t.Fatalf("got %d alerts: %+v", len(got), got)
	}
	wantKeys := []string{a.Key, a.Key, old.Key, fresh.Key, c.Key, b.Key, "burst:2001:db8:1::/48"}
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
	for _, g := range []model.Alert{got[1], got[3], got[4], got[5], got[6]} {
		stored, err := s.Alert(ctx, g.ID)
		must(t, err)
		if !reflect.DeepEqual(stored, g) {
			t.Errorf("stored %+v\nreturned %+v", stored, g)
		}
	}
	if got[5].Title != b.Title || got[5].Subject != b.Subject {
		t.Errorf("odd bytes changed: %q %q", got[5].Title, got[5].Subject)
	}
}
