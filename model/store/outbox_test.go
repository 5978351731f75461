package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

func TestAuditIsAppendOnly(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	var want []int64
	for i := range 25 {
		id, err := s.AppendAudit(ctx, model.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "alice",
			Action: "push-ip", Vendor: "okta", Target: fmt.Sprintf("192.0.2.%d", i), Result: "ok", VendorStatus: 202})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	// An entry appended out of time order still lists by append order.
	late, err := s.AppendAudit(ctx, model.AuditEntry{At: t0.Add(-time.Hour), Actor: "bob", Action: "reset-user",
		Result: "refused", Detail: "read-only"})
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, late)
	slices.Reverse(want)
	var got []int64
	for before := int64(0); ; {
		page, err := s.Audit(ctx, before, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			got = append(got, e.ID)
		}
		if len(page) < 10 {
			break
		}
		before = page[len(page)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit ids %v, want %v", got, want)
	}
	first, _ := s.Audit(ctx, 0, 1)
	if e := first[0]; e.Actor != "bob" || e.Result != "refused" || e.Detail != "read-only" || !e.At.Equal(t0.Add(-time.Hour)) {
		t.Errorf("newest entry = %+v", e)
	}
	// The table itself refuses changes.
	for _, stmt := range []string{`UPDATE audit SET result = 'ok'`, `DELETE FROM audit`} {
		if _, err := s.write.Exec(stmt); err == nil {
			t.Errorf("%s: no error", stmt)
		}
	}
	if n, _ := s.Audit(ctx, 0, 100); len(n) != 26 {
		t.Errorf("%d entries after refused changes", len(n))
	}
	if _, err := s.AppendAudit(ctx, model.AuditEntry{}); err == nil {
		t.Error("entry without action: no error")
	}
}

func enqueue(t *testing.T, s Store, n int, at time.Time) []int64 {
	t.Helper()
	items := make([]model.OutboxItem, n)
	for i := range items {
		items[i] = model.OutboxItem{Created: at, IP: fmt.Sprintf("198.51.100.%d", i), Level: model.LevelHigh,
			Message: "seen in risktop", Actor: "alice"}
	}
	ids, err := s.Enqueue(context.Background(), items)
	if err != nil || len(ids) != n {
		t.Fatalf("enqueue: %v, %d ids", err, len(ids))
	}
	return ids
}

func itemIDs(items []model.OutboxItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func TestOutboxLifecycle(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	ids := enqueue(t, s, 3, t0)
	later, err := s.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "203.0.113.9", NextTry: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}

	claimed, err := s.ClaimDue(ctx, t0, 10)
	if err != nil || !slices.Equal(itemIDs(claimed), ids) {
		t.Fatalf("claim = %v, %v; want %v (not the later one)", itemIDs(claimed), err, ids)
	}
	for _, it := range claimed {
		if it.State != model.OutboxSending || it.Attempts != 1 {
			t.Fatalf("claimed item %+v", it)
		}
	}
	// Claimed items are not handed out again.
	if again, _ := s.ClaimDue(ctx, t0.Add(time.Minute), 10); len(again) != 0 {
		t.Fatalf("claimed twice: %v", itemIDs(again))
	}

	// First sent; second fails and retries in 5 minutes; third fails for good.
	if err := s.MarkSent(ctx, ids[:1], t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, ids[1:2], "okta: 503", t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, ids[2:], "okta: 400 bad ip", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.ClaimDue(ctx, t0.Add(4*time.Minute), 10); len(due) != 0 {
		t.Fatalf("retry claimed early: %v", itemIDs(due))
	}
	retry, err := s.ClaimDue(ctx, t0.Add(5*time.Minute), 10)
	if err != nil || len(retry) != 1 || retry[0].ID != ids[1] || retry[0].Attempts != 2 || retry[0].LastError != "okta: 503" {
		t.Fatalf("retry = %+v, %v", retry, err)
	}
	if err := s.MarkSent(ctx, ids[1:2], t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}

	failed, _ := s.Outbox(ctx, model.OutboxFailed, 10)
	if len(failed) != 1 || failed[0].ID != ids[2] || failed[0].LastError != "okta: 400 bad ip" || !failed[0].NextTry.IsZero() {
		t.Fatalf("failed = %+v", failed)
	}
	// Requeue brings a failed item back; only failed items can be requeued.
	if err := s.Requeue(ctx, ids[2], t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Requeue(ctx, ids[0], t0); err == nil {
		t.Error("requeued a sent item")
	}
	if err := s.Requeue(ctx, 999, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("requeue unknown: %v", err)
	}
	// Drop the requeued one and the later one; a sent item cannot be dropped.
	for _, id := range []int64{ids[2], later[0]} {
		if err := s.Drop(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Drop(ctx, ids[0]); err == nil {
		t.Error("dropped a sent item")
	}
	if due, _ := s.ClaimDue(ctx, t0.Add(24*time.Hour), 10); len(due) != 0 {
		t.Errorf("dropped items claimed: %v", itemIDs(due))
	}

	all, err := s.Outbox(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	states := map[int64]model.OutboxState{}
	for _, it := range all {
		states[it.ID] = it.State
	}
	want := map[int64]model.OutboxState{ids[0]: model.OutboxSent, ids[1]: model.OutboxSent,
		ids[2]: model.OutboxDropped, later[0]: model.OutboxDropped}
	if fmt.Sprint(states) != fmt.Sprint(want) || !slices.IsSortedFunc(all, func(a, b model.OutboxItem) int { return int(b.ID - a.ID) }) {
		t.Errorf("outbox = %+v", all)
	}
	if sent, _ := s.Outbox(ctx, model.OutboxSent, 10); len(sent) != 2 || !sent[0].SentAt.Equal(t0.Add(6*time.Minute)) {
		t.Errorf("sent = %+v", sent)
	}
	if err := s.MarkSent(ctx, []int64{12345}, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("mark unknown sent: %v", err)
	}
	if _, err := s.Enqueue(ctx, []model.OutboxItem{{}}); err == nil {
		t.Error("item without IP: no error")
	}
}

// A crash between ClaimDue and MarkSent leaves items sending; the next
// process claims them again.
func TestOutboxCrashRecovery(t *testing.T) {
	path := t.TempDir() + "/risktop.db"
	ctx := context.Background()
	t0 := fixtureNow
	s1, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := enqueue(t, s1, 4, t0)
	claimed, err := s1.ClaimDue(ctx, t0, 3)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim: %v, %d", err, len(claimed))
	}
	s1.Close() // "crash": nothing marked

	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	again, err := s2.ClaimDue(ctx, t0.Add(time.Second), 10)
	if err != nil || !slices.Equal(sorted64(itemIDs(again)), ids) {
		t.Fatalf("after restart claimed %v, %v; want %v", itemIDs(again), err, ids)
	}
	for _, it := range again {
		want := 1
		if slices.Contains(itemIDs(claimed), it.ID) {
			want = 2
		}
		if it.Attempts != want || it.State != model.OutboxSending {
			t.Errorf("item %d: %+v", it.ID, it)
		}
	}
	// Within this process they are not handed out again until the lease runs out.
	if due, _ := s2.ClaimDue(ctx, t0.Add(time.Minute), 10); len(due) != 0 {
		t.Errorf("claimed again within the lease: %v", itemIDs(due))
	}
	if due, _ := s2.ClaimDue(ctx, t0.Add(11*time.Minute), 10); len(due) != 4 {
		t.Errorf("after the lease claimed %v, want all 4", itemIDs(due))
	}
}

func sorted64(s []int64) []int64 {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestClaimDueConcurrently(t *testing.T) {
	s, _ := openFile(t)
	ctx := context.Background()
	t0 := fixtureNow
	ids := enqueue(t, s, 200, t0)
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				items, err := s.ClaimDue(ctx, t0, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				mu.Lock()
				for _, it := range items {
					seen[it.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != len(ids) {
		t.Errorf("%d of %d items claimed", len(seen), len(ids))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("item %d handed out %d times", id, n)
		}
	}
}
