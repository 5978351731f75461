package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// The deliveries' behaviour is in the conformance suite (storetest);
// here what is SQLite's own.

func msgs(ids ...string) []DeliveryMessage {
	out := make([]DeliveryMessage, len(ids))
	for i, id := range ids {
		out[i] = DeliveryMessage{ID: id, Payload: `{"id":"` + id + `"}`}
	}
	return out
}

func deliveryIDs(ds []Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.MessageID + "/" + d.Channel
	}
	return out
}

// A row left sending by a process that was killed (its pid ended) is due
// again at once, for one process, and the process's record goes with
// its last claim.
func TestClaimDeliveriesTakesOverKilledProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	ctx := context.Background()
	t0 := fixtureNow
	open := func() *SQLite {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	if _, err := s1.EnqueueDeliveries(ctx, msgs("a", "b"), []string{"syslog"}, t0); err != nil {
		t.Fatal(err)
	}
	if c, err := s1.ClaimDeliveries(ctx, "syslog", t0, 1); err != nil || len(c) != 1 {
		t.Fatalf("s1 claimed %v, %v", deliveryIDs(c), err)
	}
	if c, err := s2.ClaimDeliveries(ctx, "syslog", t0.Add(time.Second), 10); err != nil || len(c) != 0 {
		t.Fatalf("s2 took %v from a running s1 (%v)", deliveryIDs(c), err)
	}
	// s1 was killed: no process has its pid.
	if _, err := s1.write.Exec(`UPDATE sessions SET pid = ? WHERE session = ?`, 1<<22+7, s1.session); err != nil {
		t.Fatal(err)
	}
	c, err := s2.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second), 10)
	if err != nil || fmt.Sprint(deliveryIDs(c)) != "[a/syslog b/syslog]" || c[0].Attempts != 2 {
		t.Fatalf("with s1 gone s2 claimed %+v, %v", c, err)
	}
	if again, _ := s2.ClaimDeliveries(ctx, "syslog", t0.Add(3*time.Second), 10); len(again) != 0 {
		t.Errorf("claimed twice: %v", deliveryIDs(again))
	}
	// s1's record went with its last claim.
	var n int
	if err := s2.read.QueryRow(`SELECT count(*) FROM sessions WHERE session = ?`, s1.session).Scan(&n); err != nil || n != 0 {
		t.Errorf("s1's session row: %d, %v", n, err)
	}
}

// Prune is the alerts area's on PostgreSQL; this moves to the suite
// with Prune's cases.
func TestPruneRemovesFinishedDeliveries(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	if _, err := s.EnqueueDeliveries(ctx, msgs("old", "failed", "queued", "new"), []string{"webhook"}, t0); err != nil {
		t.Fatal(err)
	}
	c, _ := s.ClaimDeliveries(ctx, "webhook", t0, 2)
	must(t, s.MarkDelivered(ctx, c[0].ID, t0))
	must(t, s.MarkDeliveryFailed(ctx, c[1].ID, "404 Not Found", t0))
	c, _ = s.ClaimDeliveries(ctx, "webhook", t0, 2)
	must(t, s.ReleaseDeliveries(ctx, []int64{c[0].ID}))
	must(t, s.MarkDelivered(ctx, c[1].ID, t0.Add(2*time.Hour)))
	st, err := s.Prune(ctx, t0.Add(time.Hour))
	if err != nil || st.Deliveries != 2 {
		t.Fatalf("pruned %+v, %v; want 2 deliveries", st, err)
	}
	left, _ := s.Deliveries(ctx, "", 10)
	if fmt.Sprint(deliveryIDs(left)) != "[queued/webhook new/webhook]" {
		t.Errorf("left %v", deliveryIDs(left))
	}
}
