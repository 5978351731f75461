package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// Several claimers at once, in one store and in several on one store's
// data (several processes): each item is handed out once, and a running
// claimer's items are left alone.

// claimAll has each store claim (limit a claim) in goroutines of its own
// until nothing is due, and counts how often each item was handed out.
func claimAll(t *testing.T, stores []store.Store, perStore, limit int, at time.Time) map[int64]int {
	t.Helper()
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for _, s := range stores {
		for range perStore {
			wg.Go(func() {
				for {
					items, err := s.ClaimDue(context.Background(), at, limit)
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
	}
	wg.Wait()
	return seen
}

func checkOnce(t *testing.T, seen map[int64]int, ids []int64) {
	t.Helper()
	if len(seen) != len(ids) {
		t.Errorf("%d of %d items claimed", len(seen), len(ids))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("item %d handed out %d times", id, n)
		}
	}
}

func testClaimDueConcurrently(t *testing.T, open Opener) {
	s := open(t).Store
	ids := enqueueAt(t, s, 200, outboxNow)
	checkOnce(t, claimAll(t, []store.Store{s}, 8, 7, outboxNow), ids)
}

// Four stores on one database (four instances), two claimers each: every
// item goes out once.
func testClaimDueConcurrentStores(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t), f.Second(t), f.Second(t)}
	ids := enqueueAt(t, f.Store, 300, outboxNow)
	seen := claimAll(t, stores, 2, 5, outboxNow)
	checkOnce(t, seen, ids)
	// And none is due again to anyone within the lease.
	for i, s := range stores {
		if c, err := s.ClaimDue(context.Background(), outboxNow.Add(time.Minute), 1000); err != nil || len(c) != 0 {
			t.Errorf("store %d claimed %d more (%v)", i, len(c), err)
		}
	}
}

// Two processes on one store (a dashboard with --write and a push-ip):
// neither takes over the other's claims while it runs, so an item is
// never sent by both; once the claimer is gone (here: closed, its sends
// stopped), its claims are taken at once, by one process only.
func testClaimDueLeavesLiveClaimsAlone(t *testing.T, open Opener) {
	f := open(t)
	ctx := context.Background()
	t0 := outboxNow
	s1, s2, s3 := f.Second(t), f.Second(t), f.Store
	ids, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.1", Level: model.LevelHigh}})
	outboxMust(t, err)
	if c, err := s1.ClaimDue(ctx, t0, 10); err != nil || len(c) != 1 {
		t.Fatalf("s1 claimed %v, %v", outboxIDs(c), err)
	}

	// s1 runs: s2 leaves its claim alone until the lease runs out.
	if c, err := s2.ClaimDue(ctx, t0.Add(time.Second), 10); err != nil || len(c) != 0 {
		t.Errorf("s2 took %v from a running s1 (%v)", outboxIDs(c), err)
	}
	leaseEnd := t0.Add(10 * time.Minute)
	if at, ok, err := s2.NextOutboxDue(ctx); err != nil || !ok || !at.Equal(leaseEnd) {
		t.Errorf("s2 sees it due at %v %v (%v), want the end of s1's lease %v", at, ok, err, leaseEnd)
	}

	// s1 is gone.
	outboxMust(t, s1.Close())
	if at, ok, err := s2.NextOutboxDue(ctx); err != nil || !ok || !at.Equal(t0) {
		t.Errorf("with s1 gone, due at %v %v (%v), want at once (%v)", at, ok, err, t0)
	}
	c, err := s2.ClaimDue(ctx, t0.Add(time.Second), 10)
	if err != nil || len(c) != 1 || c[0].ID != ids[0] || c[0].Attempts != 2 {
		t.Fatalf("with s1 gone s2 claimed %+v, %v", c, err)
	}
	// Taken once: s2's claim is s2's, running.
	if again, _ := s2.ClaimDue(ctx, t0.Add(2*time.Second), 10); len(again) != 0 {
		t.Errorf("s2 claimed twice: %v", outboxIDs(again))
	}
	if again, _ := s3.ClaimDue(ctx, t0.Add(2*time.Second), 10); len(again) != 0 {
		t.Errorf("s3 took s2's claim: %v", outboxIDs(again))
	}
	// After the lease even a running claimer's item is due (a send that hung).
	if late, _ := s3.ClaimDue(ctx, t0.Add(time.Second+10*time.Minute), 10); len(late) != 1 || late[0].Attempts != 3 {
		t.Errorf("after s2's lease s3 claimed %+v", late)
	}
}

// Two stores (two instances) pushing the same addresses at once queue
// each address once.
func testEnqueueOnceConcurrentStores(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	pushes := []store.Push{{Item: model.OutboxItem{IP: "192.0.2.1", Level: model.LevelHigh}},
		{Item: model.OutboxItem{IP: "192.0.2.2", Level: model.LevelHigh}}}
	// A batch too large to lock address by address, naming them too.
	var bulk []store.Push
	for i := range 100 {
		bulk = append(bulk, store.Push{Item: model.OutboxItem{IP: fmt.Sprintf("198.51.100.%d", i), Level: model.LevelHigh}})
	}
	bulk = append(bulk, pushes...)
	const rounds = 8
	var wg sync.WaitGroup
	results := make([][]store.Enqueued, 2*rounds)
	for i := range results {
		wg.Go(func() {
			p := pushes
			if i%4 == 3 {
				p = bulk
			}
			var err error
			results[i], err = stores[i%2].EnqueueOnce(ctx, p, outboxNow, 24*time.Hour)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	queued := map[string]int{}
	for _, r := range results {
		for _, g := range r {
			if !g.Skipped() {
				queued[fmt.Sprint(g.ID)]++
			}
		}
	}
	all, err := stores[0].Outbox(ctx, "", 1000)
	outboxMust(t, err)
	perIP := map[string]int{}
	for _, it := range all {
		perIP[it.IP]++
	}
	if len(queued) != 102 || len(all) != 102 {
		t.Errorf("%d queued, %d in the outbox; want 102 (one per address)", len(queued), len(all))
	}
	for ip, n := range perIP {
		if n != 1 {
			t.Errorf("%s queued %d times", ip, n)
		}
	}
}

// Appends from two stores at once: a reader listing newest first never
// sees an entry appear below one it has already seen (the ids follow the
// commits), so paging down from the newest misses none.
func testAuditConcurrentAppends(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	const writers, appends = 4, 30
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range appends {
				_, err := stores[w%2].AppendAudits(ctx, []model.AuditEntry{
					{Action: "push-ip", Actor: fmt.Sprint(w), Target: fmt.Sprint(i)},
					{Action: "push-ip", Actor: fmt.Sprint(w), Target: fmt.Sprint(i)},
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var reads sync.WaitGroup
	reads.Go(func() {
		var seen int64 // the newest id seen so far
		for {
			select {
			case <-done:
				return
			default:
			}
			es, err := stores[1].Audit(ctx, 0, 1000)
			if err != nil {
				t.Error(err)
				return
			}
			// Every entry at or below the newest seen before was there
			// before: the listing holds all of them.
			n := 0
			for _, e := range es {
				if e.ID <= seen {
					n++
				}
			}
			if int64(n) != seen {
				t.Errorf("entries up to #%d: %d listed; one committed below a newer one", seen, n)
				return
			}
			if len(es) > 0 {
				seen = es[0].ID
			}
		}
	})
	wg.Wait()
	close(done)
	reads.Wait()
	all, err := stores[0].Audit(ctx, 0, 1000)
	outboxMust(t, err)
	if len(all) != writers*appends*2 || all[0].ID != int64(len(all)) {
		t.Errorf("%d entries, newest #%d; want %d", len(all), all[0].ID, writers*appends*2)
	}
	// Each batch is together and in order.
	ids := make([]int64, len(all))
	for i, e := range all {
		ids[i] = e.ID
	}
	if !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("not newest first: %v", ids)
	}
}

// A closed store claims nothing: its sends stopped.
func testClaimAfterCloseFails(t *testing.T, open Opener) {
	f := open(t)
	ctx := context.Background()
	enqueueAt(t, f.Store, 1, outboxNow)
	if _, err := f.Store.EnqueueDeliveries(ctx, deliveryMsgs("a"), []string{"syslog"}, outboxNow); err != nil {
		t.Fatal(err)
	}
	outboxMust(t, f.Store.Close())
	if c, err := f.Store.ClaimDue(ctx, outboxNow, 10); err == nil {
		t.Errorf("a closed store claimed %v", outboxIDs(c))
	}
	if c, err := f.Store.ClaimDeliveries(ctx, "syslog", outboxNow, 10); err == nil {
		t.Errorf("a closed store claimed %v", deliveryKeys(c))
	}
	// What it did not claim is there for another.
	s2 := f.Second(t)
	if c, err := s2.ClaimDue(ctx, outboxNow, 10); err != nil || len(c) != 1 || c[0].Attempts != 1 {
		t.Errorf("the next store claimed %+v, %v", c, err)
	}
}
