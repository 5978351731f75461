package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

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

func TestEnqueueDeliveriesIsIdempotent(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	n, err := s.EnqueueDeliveries(ctx, msgs("a", "b"), []string{"webhook", "syslog"}, t0)
	if err != nil || n != 4 {
		t.Fatalf("queued %d, %v; want 4", n, err)
	}
	// The same messages again, and one of them delivered meanwhile: nothing
	// new, nothing reset.
	c, err := s.ClaimDeliveries(ctx, "webhook", t0, 1)
	if err != nil || len(c) != 1 {
		t.Fatalf("claimed %v, %v", deliveryIDs(c), err)
	}
	must(t, s.MarkDelivered(ctx, c[0].ID, t0))
	n, err = s.EnqueueDeliveries(ctx, msgs("a", "b", "c"), []string{"webhook", "syslog"}, t0.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("second enqueue queued %d, %v; want 2 (only c)", n, err)
	}
	all, err := s.Deliveries(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/webhook", "a/syslog", "b/webhook", "b/syslog", "c/webhook", "c/syslog"}
	if fmt.Sprint(deliveryIDs(all)) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", deliveryIDs(all), want)
	}
	if all[0].State != DeliveryDelivered {
		t.Errorf("a/webhook is %s after a second enqueue, want delivered", all[0].State)
	}
	if _, err := s.EnqueueDeliveries(ctx, []DeliveryMessage{{Payload: "x"}}, []string{"webhook"}, t0); err == nil {
		t.Error("a message without an id was queued")
	}
}

// A channel's rows go in order: a row waiting for its retry holds back
// the rows queued after it, even those due now; another channel is not
// held back.
func TestClaimDeliveriesKeepsOrder(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	if _, err := s.EnqueueDeliveries(ctx, msgs("1", "2", "3"), []string{"webhook", "syslog"}, t0); err != nil {
		t.Fatal(err)
	}
	c, err := s.ClaimDeliveries(ctx, "webhook", t0, 10)
	if err != nil || fmt.Sprint(deliveryIDs(c)) != "[1/webhook 2/webhook 3/webhook]" {
		t.Fatalf("claimed %v, %v", deliveryIDs(c), err)
	}
	// 1 fails and waits 10s; 2 and 3 were not tried.
	must(t, s.MarkDeliveryRetry(ctx, c[0].ID, "503 Service Unavailable", t0.Add(10*time.Second)))
	must(t, s.ReleaseDeliveries(ctx, []int64{c[1].ID, c[2].ID}))
	if _, err := s.EnqueueDeliveries(ctx, msgs("4"), []string{"webhook", "syslog"}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimDeliveries(ctx, "webhook", t0.Add(2*time.Second), 10); err != nil || len(c) != 0 {
		t.Fatalf("claimed %v past the waiting 1 (%v)", deliveryIDs(c), err)
	}
	// 2, 3 and 4 are due but wait for 1: the channel is next due at 1's retry.
	if at, ok, err := s.NextDeliveryDue(ctx, "webhook"); err != nil || !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Errorf("next due %v %v %v; want 1's retry at %v", at, ok, err, t0.Add(10*time.Second))
	}
	if c, err := s.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second), 10); err != nil || len(c) != 4 {
		t.Fatalf("syslog claimed %v, %v; want all four", deliveryIDs(c), err)
	}
	c, err = s.ClaimDeliveries(ctx, "webhook", t0.Add(10*time.Second), 10)
	if err != nil || fmt.Sprint(deliveryIDs(c)) != "[1/webhook 2/webhook 3/webhook 4/webhook]" {
		t.Fatalf("after the retry time claimed %v, %v", deliveryIDs(c), err)
	}
	if c[0].Attempts != 2 || c[1].Attempts != 1 {
		t.Errorf("attempts %d and %d, want 2 (retried) and 1 (released, then claimed)", c[0].Attempts, c[1].Attempts)
	}
	if c[0].LastError != "503 Service Unavailable" {
		t.Errorf("last error %q", c[0].LastError)
	}
	// A row given up on no longer holds the channel back.
	must(t, s.MarkDeliveryFailed(ctx, c[0].ID, "gave up after 10 attempts: 503", t0.Add(11*time.Second)))
	for _, d := range c[1:] {
		must(t, s.MarkDelivered(ctx, d.ID, t0.Add(11*time.Second)))
	}
	failed, _ := s.Deliveries(ctx, DeliveryFailed, 10)
	if len(failed) != 1 || failed[0].LastError != "gave up after 10 attempts: 503" || !failed[0].Done.Equal(t0.Add(11*time.Second)) {
		t.Errorf("failed rows %+v", failed)
	}
	if _, ok, err := s.NextDeliveryDue(ctx, "webhook"); err != nil || ok {
		t.Errorf("webhook still has something due (%v)", err)
	}
	if err := s.MarkDelivered(ctx, 999, t0); err == nil {
		t.Error("marked an unknown row")
	}
}

// A row left sending by a process that is gone (killed between claim and
// mark) is due again at once, for one process; a running process's claim
// is left alone until the lease ends.
func TestClaimDeliveriesTakesOverCrashedClaims(t *testing.T) {
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
	// s1 runs: s2 takes neither a (s1's) nor b (behind a).
	if c, err := s2.ClaimDeliveries(ctx, "syslog", t0.Add(time.Second), 10); err != nil || len(c) != 0 {
		t.Fatalf("s2 took %v from a running s1 (%v)", deliveryIDs(c), err)
	}
	if at, ok, err := s2.NextDeliveryDue(ctx, "syslog"); err != nil || !ok || !at.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("next due %v %v %v; want the end of s1's lease on a", at, ok, err)
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
	// The lease: a claim older than SendLease is due again even from a
	// running process (a send that hung).
	if c, err := s1.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second+10*time.Minute), 10); err != nil || len(c) != 2 {
		t.Errorf("after the lease claimed %v, %v", deliveryIDs(c), err)
	}
}

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
