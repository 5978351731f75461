package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func TestNextOutboxDue(t *testing.T) {
	path := t.TempDir() + "/risktop.db"
	ctx := context.Background()
	t0 := fixtureNow
	s1, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	due := func(s Store) (time.Time, bool) {
		t.Helper()
		at, ok, err := s.NextOutboxDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return at, ok
	}
	if at, ok := due(s1); ok {
		t.Fatalf("empty outbox due at %v", at)
	}

	// Queued items: the earliest NextTry, whatever the order of insertion.
	late, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.1", NextTry: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := due(s1); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("due %v %v, want %v", at, ok, t0.Add(time.Hour))
	}
	soon, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.2", NextTry: t0.Add(10 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := due(s1); !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("due %v %v, want %v", at, ok, t0.Add(10*time.Second))
	}

	// Claimed by this store: due again only when the lease (10 min) runs
	// out, before the queued item an hour away.
	if c, _ := s1.ClaimDue(ctx, t0.Add(10*time.Second), 10); len(c) != 1 || c[0].ID != soon[0] {
		t.Fatalf("claimed %v", itemIDs(c))
	}
	leaseEnd := t0.Add(10*time.Second + 10*time.Minute)
	if at, ok := due(s1); !ok || !at.Equal(leaseEnd) {
		t.Fatalf("with one sending, due %v %v, want the end of its lease %v", at, ok, leaseEnd)
	}
	if err := s1.Drop(ctx, late[0]); err != nil {
		t.Fatal(err)
	}
	if at, ok := due(s1); !ok || !at.Equal(leaseEnd) {
		t.Fatalf("only the sending one left: due %v %v, want %v", at, ok, leaseEnd)
	}
	s1.Close() // crash mid-send

	// Another process sees the interrupted send as due at once (its claim time).
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if at, ok := due(s2); !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after restart due %v %v, want at once (%v)", at, ok, t0.Add(10*time.Second))
	}
	c, err := s2.ClaimDue(ctx, t0.Add(11*time.Second), 10)
	if err != nil || len(c) != 1 {
		t.Fatalf("claim after restart: %v %v", itemIDs(c), err)
	}

	// Failed for good, sent and dropped items are never due.
	if err := s2.MarkFailed(ctx, soon, "okta: 400", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if at, ok := due(s2); ok {
		t.Fatalf("failed item due at %v", at)
	}
	if err := s2.Requeue(ctx, soon[0], t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if at, ok := due(s2); !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("requeued: due %v %v", at, ok)
	}
	c, _ = s2.ClaimDue(ctx, t0.Add(time.Minute), 10)
	if err := s2.MarkSent(ctx, itemIDs(c), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if at, ok := due(s2); ok {
		t.Fatalf("sent item due at %v", at)
	}
}

func TestOutboxItems(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	ids := enqueue(t, s, 1200, fixtureNow) // more than one chunk
	ask := []int64{ids[1100], ids[3], ids[700], ids[3]}
	items, err := s.OutboxItems(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(itemIDs(items), ask) {
		t.Fatalf("ids %v, want %v", itemIDs(items), ask)
	}
	if it := items[1]; it.IP != "198.51.100.3" || it.State != model.OutboxQueued || it.Actor != "alice" || it.Level != model.LevelHigh {
		t.Errorf("item = %+v", it)
	}
	if got, err := s.OutboxItems(ctx, nil); err != nil || got != nil {
		t.Errorf("no ids: %v, %v", got, err)
	}
	if _, err := s.OutboxItems(ctx, []int64{ids[0], 99999}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}
