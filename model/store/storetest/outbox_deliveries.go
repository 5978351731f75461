package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model/store"
)

func testEnqueueDeliveriesIsIdempotent(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := outboxNow
	n, err := s.EnqueueDeliveries(ctx, deliveryMsgs("a", "b"), []string{"webhook", "syslog"}, t0)
	if err != nil || n != 4 {
		t.Fatalf("queued %d, %v; want 4", n, err)
	}
	// The same messages again, and one of them delivered meanwhile: nothing
	// new, nothing reset.
	c, err := s.ClaimDeliveries(ctx, "webhook", t0, 1)
	if err != nil || len(c) != 1 {
		t.Fatalf("claimed %v, %v", deliveryKeys(c), err)
	}
	outboxMust(t, s.MarkDelivered(ctx, c[0].ID, t0))
	n, err = s.EnqueueDeliveries(ctx, deliveryMsgs("a", "b", "c"), []string{"webhook", "syslog"}, t0.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("second enqueue queued %d, %v; want 2 (only c)", n, err)
	}
	// A batch naming a message twice queues it once.
	n, err = s.EnqueueDeliveries(ctx, deliveryMsgs("d", "d"), []string{"webhook"}, t0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("d twice queued %d, %v; want 1", n, err)
	}
	all, err := s.Deliveries(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/webhook", "a/syslog", "b/webhook", "b/syslog", "c/webhook", "c/syslog", "d/webhook"}
	if fmt.Sprint(deliveryKeys(all)) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", deliveryKeys(all), want)
	}
	if all[0].State != store.DeliveryDelivered {
		t.Errorf("a/webhook is %s after a second enqueue, want delivered", all[0].State)
	}
	if d := all[4]; d.State != store.DeliveryQueued || d.Payload != `{"id":"c"}` || !d.Created.Equal(t0.Add(time.Minute)) ||
		!d.NextTry.Equal(t0.Add(time.Minute)) || d.Attempts != 0 || !d.Done.IsZero() {
		t.Errorf("c/webhook = %+v", d)
	}
	if q, _ := s.Deliveries(ctx, store.DeliveryQueued, 2); fmt.Sprint(deliveryKeys(q)) != "[a/syslog b/webhook]" {
		t.Errorf("first two queued: %v", deliveryKeys(q))
	}
	if _, err := s.EnqueueDeliveries(ctx, []store.DeliveryMessage{{Payload: "x"}}, []string{"webhook"}, t0); err == nil {
		t.Error("a message without an id was queued")
	}
}

// Two stores (two instances raising the same alerts) queue each message
// once per channel.
func testEnqueueDeliveriesConcurrentStores(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t)}
	ctx := context.Background()
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprint("m", i))
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		queued int
	)
	for w := range 6 {
		wg.Go(func() {
			msgs := deliveryMsgs(ids...)
			if w%2 == 1 { // the other way round
				for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
					msgs[i], msgs[j] = msgs[j], msgs[i]
				}
			}
			n, err := stores[w%2].EnqueueDeliveries(ctx, msgs, []string{"webhook", "syslog"}, outboxNow)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			queued += n
			mu.Unlock()
		})
	}
	wg.Wait()
	all, err := f.Store.Deliveries(ctx, "", 1000)
	outboxMust(t, err)
	if queued != 80 || len(all) != 80 {
		t.Errorf("%d queued, %d rows; want 80", queued, len(all))
	}
}

// A channel's rows go in order: a row waiting for its retry holds back
// the rows queued after it, even those due now; another channel is not
// held back.
func testClaimDeliveriesKeepsOrder(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := outboxNow
	if _, err := s.EnqueueDeliveries(ctx, deliveryMsgs("1", "2", "3"), []string{"webhook", "syslog"}, t0); err != nil {
		t.Fatal(err)
	}
	c, err := s.ClaimDeliveries(ctx, "webhook", t0, 10)
	if err != nil || fmt.Sprint(deliveryKeys(c)) != "[1/webhook 2/webhook 3/webhook]" {
		t.Fatalf("claimed %v, %v", deliveryKeys(c), err)
	}
	// 1 fails and waits 10s; 2 and 3 were not tried.
	outboxMust(t, s.MarkDeliveryRetry(ctx, c[0].ID, "503 Service Unavailable", t0.Add(10*time.Second)))
	outboxMust(t, s.ReleaseDeliveries(ctx, []int64{c[1].ID, c[2].ID}))
	if _, err := s.EnqueueDeliveries(ctx, deliveryMsgs("4"), []string{"webhook", "syslog"}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if c, err := s.ClaimDeliveries(ctx, "webhook", t0.Add(2*time.Second), 10); err != nil || len(c) != 0 {
		t.Fatalf("claimed %v past the waiting 1 (%v)", deliveryKeys(c), err)
	}
	// 2, 3 and 4 are due but wait for 1: the channel is next due at 1's retry.
	if at, ok, err := s.NextDeliveryDue(ctx, "webhook"); err != nil || !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Errorf("next due %v %v %v; want 1's retry at %v", at, ok, err, t0.Add(10*time.Second))
	}
	if c, err := s.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second), 10); err != nil || len(c) != 4 {
		t.Fatalf("syslog claimed %v, %v; want all four", deliveryKeys(c), err)
	}
	c, err = s.ClaimDeliveries(ctx, "webhook", t0.Add(10*time.Second), 10)
	if err != nil || fmt.Sprint(deliveryKeys(c)) != "[1/webhook 2/webhook 3/webhook 4/webhook]" {
		t.Fatalf("after the retry time claimed %v, %v", deliveryKeys(c), err)
	}
	if c[0].Attempts != 2 || c[1].Attempts != 1 {
		t.Errorf("attempts %d and %d, want 2 (retried) and 1 (released, then claimed)", c[0].Attempts, c[1].Attempts)
	}
	if c[0].LastError != "503 Service Unavailable" {
		t.Errorf("last error %q", c[0].LastError)
	}
	// A row given up on no longer holds the channel back.
	outboxMust(t, s.MarkDeliveryFailed(ctx, c[0].ID, "gave up after 10 attempts: 503", t0.Add(11*time.Second)))
	for _, d := range c[1:] {
		outboxMust(t, s.MarkDelivered(ctx, d.ID, t0.Add(11*time.Second)))
	}
	failed, _ := s.Deliveries(ctx, store.DeliveryFailed, 10)
	if len(failed) != 1 || failed[0].LastError != "gave up after 10 attempts: 503" || !failed[0].Done.Equal(t0.Add(11*time.Second)) {
		t.Errorf("failed rows %+v", failed)
	}
	// A delivered row stays delivered.
	outboxMust(t, s.MarkDeliveryRetry(ctx, c[1].ID, "late", t0.Add(time.Hour)))
	outboxMust(t, s.MarkDeliveryFailed(ctx, c[1].ID, "late", t0.Add(time.Hour)))
	if d, _ := s.Deliveries(ctx, store.DeliveryDelivered, 10); len(d) != 3 || d[0].ID != c[1].ID || d[0].LastError != "" {
		t.Errorf("delivered rows %+v", d)
	}
	if _, ok, err := s.NextDeliveryDue(ctx, "webhook"); err != nil || ok {
		t.Errorf("webhook still has something due (%v)", err)
	}
	if err := s.MarkDelivered(ctx, 999, t0); err == nil {
		t.Error("marked an unknown row")
	}
}

// A row left sending by a store that is gone (closed between claim and
// mark; for a killed process see each store's own tests) is due again at
// once, for one store; a running store's claim is left alone until the
// lease ends.
func testClaimDeliveriesTakesOverClosedClaims(t *testing.T, open Opener) {
	f := open(t)
	ctx := context.Background()
	t0 := outboxNow
	s1, s2 := f.Second(t), f.Store
	if _, err := s1.EnqueueDeliveries(ctx, deliveryMsgs("a", "b"), []string{"syslog"}, t0); err != nil {
		t.Fatal(err)
	}
	if c, err := s1.ClaimDeliveries(ctx, "syslog", t0, 1); err != nil || len(c) != 1 {
		t.Fatalf("s1 claimed %v, %v", deliveryKeys(c), err)
	}
	// s1 runs: s2 takes neither a (s1's) nor b (behind a).
	if c, err := s2.ClaimDeliveries(ctx, "syslog", t0.Add(time.Second), 10); err != nil || len(c) != 0 {
		t.Fatalf("s2 took %v from a running s1 (%v)", deliveryKeys(c), err)
	}
	if at, ok, err := s2.NextDeliveryDue(ctx, "syslog"); err != nil || !ok || !at.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("next due %v %v %v; want the end of s1's lease on a", at, ok, err)
	}
	outboxMust(t, s1.Close())
	if at, ok, err := s2.NextDeliveryDue(ctx, "syslog"); err != nil || !ok || !at.Equal(t0) {
		t.Errorf("with s1 gone next due %v %v %v; want at once (%v)", at, ok, err, t0)
	}
	c, err := s2.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second), 10)
	if err != nil || fmt.Sprint(deliveryKeys(c)) != "[a/syslog b/syslog]" || c[0].Attempts != 2 {
		t.Fatalf("with s1 gone s2 claimed %+v, %v", c, err)
	}
	if again, _ := s2.ClaimDeliveries(ctx, "syslog", t0.Add(3*time.Second), 10); len(again) != 0 {
		t.Errorf("claimed twice: %v", deliveryKeys(again))
	}
	// The lease: a claim older than SendLease is due again even from a
	// running store (a send that hung).
	s3 := f.Second(t)
	if c, err := s3.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second+10*time.Minute), 10); err != nil || len(c) != 2 {
		t.Errorf("after the lease claimed %v, %v", deliveryKeys(c), err)
	}
}

// Four stores claiming one channel at once, each marking what it claimed
// delivered: each row goes out once, and none before every older row of
// its channel was delivered.
func testClaimDeliveriesConcurrentStores(t *testing.T, open Opener) {
	f := open(t)
	stores := []store.Store{f.Store, f.Second(t), f.Second(t), f.Second(t)}
	ctx := context.Background()
	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprint("m", i))
	}
	if _, err := f.Store.EnqueueDeliveries(ctx, deliveryMsgs(ids...), []string{"webhook"}, outboxNow); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for _, s := range stores {
		wg.Go(func() {
			stuck := time.Now().Add(time.Minute)
			for {
				c, err := s.ClaimDeliveries(ctx, "webhook", outboxNow, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(c) == 0 {
					if _, ok, err := s.NextDeliveryDue(ctx, "webhook"); err != nil || !ok {
						return // all delivered
					}
					if time.Now().After(stuck) {
						t.Error("rows left undelivered")
						return
					}
					time.Sleep(time.Millisecond) // another store is sending the next ones
					continue
				}
				// Everything older was delivered before this claim:
				// delivered is for good, so reading it now tells.
				all, err := s.Deliveries(ctx, "", 1000)
				if err != nil {
					t.Error(err)
					return
				}
				for _, d := range all {
					if d.ID < c[0].ID && d.State != store.DeliveryDelivered {
						t.Errorf("claimed #%d while the older #%d is %s", c[0].ID, d.ID, d.State)
					}
				}
				mu.Lock()
				for _, d := range c {
					seen[d.ID]++
				}
				mu.Unlock()
				for _, d := range c {
					if err := s.MarkDelivered(ctx, d.ID, outboxNow); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != len(ids) {
		t.Errorf("%d of %d rows claimed", len(seen), len(ids))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %d handed out %d times", id, n)
		}
	}
}
