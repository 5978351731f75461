package actions

import (
	"context"
	"errors"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

func putAlert(t *testing.T, st store.Store) model.Alert {
	t.Helper()
	got, err := st.PutAlerts(context.Background(), t0, []model.Alert{{Rule: "burst", Kind: model.KindFailedBurst,
		Severity: model.LevelHigh, Key: "burst:203.0.113.0/24", Title: "Burst of failed sign-ins from 203.0.113.0/24",
		Subject: "203.0.113.0/24", FirstSeen: t0, LastSeen: t0}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got[0]
}

// Acknowledging and resolving change the alert, tell the hub its new
// sequence number, and are audited with the actor in the store and the
// file; an impossible change is refused and audited too.
func TestAckAndResolveAlertAreAudited(t *testing.T) {
	e := newEnv(t, envOptions{})
	var seqs []int64
	e.svc.opts.AlertsChanged = func(seq int64) { seqs = append(seqs, seq) }
	ctx := context.Background()
	a := putAlert(t, e.store)
	acked, err := e.svc.AckAlert(ctx, who, a.ID)
	if err != nil || acked.State != model.AlertAcknowledged || acked.AckedBy != string(who) || !acked.AckedAt.Equal(t0) {
		t.Fatalf("ack: %+v, %v", acked, err)
	}
	resolved, err := e.svc.ResolveAlert(ctx, "ssh:SHA256:abc bob", a.ID)
	if err != nil || resolved.State != model.AlertResolved || resolved.ResolvedBy != "ssh:SHA256:abc bob" {
		t.Fatalf("resolve: %+v, %v", resolved, err)
	}
	if _, err := e.svc.ResolveAlert(ctx, who, a.ID); !errors.Is(err, store.ErrAlertState) {
		t.Fatalf("resolving twice: %v", err)
	}
	if _, err := e.svc.AckAlert(ctx, who, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown alert: %v", err)
	}
	if len(seqs) != 2 || seqs[0] != acked.Seq || seqs[1] != resolved.Seq {
		t.Errorf("hub told %v, want [%d %d]", seqs, acked.Seq, resolved.Seq)
	}
	es := e.sameAudit(t)
	want := []brief{
		{ActionAckAlert, ResultOK, "burst:203.0.113.0/24", 0},
		{ActionResolveAlert, ResultOK, "burst:203.0.113.0/24", 0},
		{ActionResolveAlert, ResultRefused, "burst:203.0.113.0/24", 0},
		{ActionAckAlert, ResultRefused, "alert 999", 0},
	}
	if got := briefs(es); len(got) != len(want) {
		t.Fatalf("audit %+v", got)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	if es[0].Actor != string(who) || es[1].Actor != "ssh:SHA256:abc bob" || es[0].Vendor != "risktop" ||
		es[0].Detail != "alert 1: Burst of failed sign-ins from 203.0.113.0/24" {
		t.Errorf("entries %+v", es[:2])
	}
}

// Read-only mode and a viewer leave the alert as it is, and the refusal
// is audited with who tried.
func TestAlertChangesRefusedReadOnly(t *testing.T) {
	for _, c := range []struct {
		name string
		ro   bool
		want error
	}{{"read-only", true, ErrReadOnly}, {"viewer", false, ErrViewOnly}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOptions{readOnly: c.ro})
			ctx := context.Background()
			a := putAlert(t, e.store)
			type changer interface {
				AckAlert(context.Context, Actor, int64) (model.Alert, error)
				ResolveAlert(context.Context, Actor, int64) (model.Alert, error)
			}
			var svc changer = e.svc
			if !c.ro {
				svc = e.svc.Viewer()
			}
			if _, err := svc.AckAlert(ctx, who, a.ID); !errors.Is(err, c.want) {
				t.Errorf("ack: %v", err)
			}
			if _, err := svc.ResolveAlert(ctx, who, a.ID); !errors.Is(err, c.want) {
				t.Errorf("resolve: %v", err)
			}
			if got, _ := e.store.Alert(ctx, a.ID); got.State != model.AlertOpen || got.Seq != a.Seq {
				t.Errorf("alert changed: %+v", got)
			}
			es := e.sameAudit(t)
			if len(es) != 2 || es[0].Result != ResultRefused || es[1].Action != ActionResolveAlert || es[1].Actor != string(who) {
				t.Errorf("audit %+v", briefs(es))
			}
		})
	}
}
