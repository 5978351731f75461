package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// outboxCases are the outbox area's cases: the audit log, the push
// outbox, the claims of several stores, the notification deliveries.
var outboxCases = []Case{
	{"AuditPagesNewestFirst", testAuditPagesNewestFirst},
	{"AuditConcurrentAppendsListInOrder", testAuditConcurrentAppends},
	{"OutboxLifecycle", testOutboxLifecycle},
	{"OutboxCrashRecovery", testOutboxCrashRecovery},
	{"EnqueueOnce", testEnqueueOnce},
	{"LivePushesAgreesWithEnqueueOnce", testLivePushesAgreesWithEnqueueOnce},
	{"EnqueuePerson", testEnqueuePerson},
	{"EnqueueOncePerson", testEnqueueOncePerson},
	{"LatestPersonPush", testLatestPersonPush},
	{"NextOutboxDue", testNextOutboxDue},
	{"OutboxItems", testOutboxItems},
	{"ClaimDueConcurrently", testClaimDueConcurrently},
	{"ClaimDueConcurrentStores", testClaimDueConcurrentStores},
	{"ClaimDueLeavesLiveClaimsAlone", testClaimDueLeavesLiveClaimsAlone},
	{"ClaimAfterCloseFails", testClaimAfterCloseFails},
	{"EnqueueOnceConcurrentStores", testEnqueueOnceConcurrentStores},
	{"EnqueueDeliveriesIsIdempotent", testEnqueueDeliveriesIsIdempotent},
	{"EnqueueDeliveriesConcurrentStores", testEnqueueDeliveriesConcurrentStores},
	{"ClaimDeliveriesKeepsOrder", testClaimDeliveriesKeepsOrder},
	{"ClaimDeliveriesTakesOverClosedClaims", testClaimDeliveriesTakesOverClosedClaims},
	{"ClaimDeliveriesConcurrentStoresKeepOrder", testClaimDeliveriesConcurrentStores},
}

func testAuditPagesNewestFirst(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := outboxNow
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
	// A batch takes ids in order.
	batch, err := s.AppendAudits(ctx, []model.AuditEntry{
		{At: t0, Actor: "carol", Action: "push-ip", Target: "192.0.2.100", Result: "queued"},
		{At: t0, Actor: "carol", Action: "push-ip", Target: "192.0.2.101", Result: "queued"},
		{Actor: "carol", Action: "push-ip", Target: "192.0.2.102", Result: "queued"}, // At: now
	})
	if err != nil || len(batch) != 3 || !slices.IsSorted(batch) || batch[0] <= late {
		t.Fatalf("batch ids %v, %v", batch, err)
	}
	want = append(want, batch...)
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
	newest, _ := s.Audit(ctx, 0, 4)
	if e := newest[0]; e.Target != "192.0.2.102" || e.At.IsZero() || time.Since(e.At) > time.Hour {
		t.Errorf("entry without a time: %+v, want at now", e)
	}
	if e := newest[3]; e.Actor != "bob" || e.Result != "refused" || e.Detail != "read-only" || !e.At.Equal(t0.Add(-time.Hour)) {
		t.Errorf("bob's entry = %+v", e)
	}
	if e := newest[1]; e.Target != "192.0.2.101" || e.Result != "queued" || !e.At.Equal(t0) {
		t.Errorf("carol's second entry = %+v", e)
	}
	all, _ := s.Audit(ctx, 0, 100)
	if e := all[len(all)-1]; e.Vendor != "okta" || e.VendorStatus != 202 || e.Target != "192.0.2.0" {
		t.Errorf("oldest entry = %+v", e)
	}
	if a, err := s.Audit(ctx, 0, 0); err != nil || len(a) != 0 {
		t.Errorf("limit 0: %v, %v", a, err)
	}
	if _, err := s.AppendAudit(ctx, model.AuditEntry{}); err == nil {
		t.Error("entry without action: no error")
	}
	if _, err := s.AppendAudits(ctx, []model.AuditEntry{{Action: "push-ip"}, {}}); err == nil {
		t.Error("a batch with an entry without action: no error")
	}
	if n, _ := s.Audit(ctx, 0, 100); len(n) != len(want) {
		t.Errorf("%d entries after refused appends, want %d (all or none)", len(n), len(want))
	}
}

func testOutboxLifecycle(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := outboxNow
	ids := enqueueAt(t, s, 3, t0)
	later, err := s.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "203.0.113.9", NextTry: t0.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}

	claimed, err := s.ClaimDue(ctx, t0, 10)
	if err != nil || !slices.Equal(outboxIDs(claimed), ids) {
		t.Fatalf("claim = %v, %v; want %v (not the later one)", outboxIDs(claimed), err, ids)
	}
	for _, it := range claimed {
		if it.State != model.OutboxSending || it.Attempts != 1 {
			t.Fatalf("claimed item %+v", it)
		}
	}
	// Claimed items are not handed out again.
	if again, _ := s.ClaimDue(ctx, t0.Add(time.Minute), 10); len(again) != 0 {
		t.Fatalf("claimed twice: %v", outboxIDs(again))
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
		t.Fatalf("retry claimed early: %v", outboxIDs(due))
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
	if err := s.Requeue(ctx, 999, t0); !errors.Is(err, store.ErrNotFound) {
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
	if err := s.Drop(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("drop unknown: %v", err)
	}
	if due, _ := s.ClaimDue(ctx, t0.Add(24*time.Hour), 10); len(due) != 0 {
		t.Errorf("dropped items claimed: %v", outboxIDs(due))
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
	if one, _ := s.Outbox(ctx, "", 1); len(one) != 1 || one[0].ID != later[0] {
		t.Errorf("newest one = %+v, want #%d", one, later[0])
	}
	if err := s.MarkSent(ctx, []int64{12345}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mark unknown sent: %v", err)
	}
	// An unknown id fails the lot: the known one keeps its state.
	if err := s.MarkFailed(ctx, []int64{ids[0], 12345}, "x", time.Time{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("mark unknown failed: %v", err)
	}
	if it, _ := s.OutboxItems(ctx, ids[:1]); it[0].LastError != "" {
		t.Errorf("a failed MarkFailed changed #%d: %+v", ids[0], it[0])
	}
	if _, err := s.Enqueue(ctx, []model.OutboxItem{{}}); err == nil {
		t.Error("item without IP: no error")
	}
}

// A crash between ClaimDue and MarkSent leaves items sending; the next
// process claims them again.
func testOutboxCrashRecovery(t *testing.T, open Opener) {
	f := open(t)
	s1 := f.Store
	ctx := context.Background()
	t0 := outboxNow
	ids := enqueueAt(t, s1, 4, t0)
	claimed, err := s1.ClaimDue(ctx, t0, 3)
	if err != nil || len(claimed) != 3 {
		t.Fatalf("claim: %v, %d", err, len(claimed))
	}
	s2 := f.Reopen(t) // "crash": nothing marked
	again, err := s2.ClaimDue(ctx, t0.Add(time.Second), 10)
	if err != nil || !slices.Equal(sortedIDs(outboxIDs(again)), ids) {
		t.Fatalf("after restart claimed %v, %v; want %v", outboxIDs(again), err, ids)
	}
	for _, it := range again {
		want := 1
		if slices.Contains(outboxIDs(claimed), it.ID) {
			want = 2
		}
		if it.Attempts != want || it.State != model.OutboxSending {
			t.Errorf("item %d: %+v", it.ID, it)
		}
	}
	// Within this process they are not handed out again until the lease runs out.
	if due, _ := s2.ClaimDue(ctx, t0.Add(time.Minute), 10); len(due) != 0 {
		t.Errorf("claimed again within the lease: %v", outboxIDs(due))
	}
	if due, _ := s2.ClaimDue(ctx, t0.Add(11*time.Minute), 10); len(due) != 4 {
		t.Errorf("after the lease claimed %v, want all 4", outboxIDs(due))
	}
}

// EnqueueOnce skips an address that has a live item at the same or a
// higher level: queued or sending (and not expired), or sent and still
// live at Okta. Lower levels, expired, failed and dropped items do not
// count; Force queues anyway and says what was live.
func testEnqueueOnce(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := outboxNow
	const ttl = 24 * time.Hour
	item := func(ip string, level model.Level, expires time.Time) model.OutboxItem {
		return model.OutboxItem{Created: t0, IP: ip, Level: level, ExpiresAt: expires, Actor: "alice"}
	}
	seed := func(it model.OutboxItem, state model.OutboxState, sent time.Time) int64 {
		t.Helper()
		ids, err := s.Enqueue(ctx, []model.OutboxItem{it})
		outboxMust(t, err)
		switch state {
		case model.OutboxSending:
			_, err = s.ClaimDue(ctx, t0.Add(time.Hour), 100)
		case model.OutboxSent:
			err = s.MarkSent(ctx, ids, sent)
		case model.OutboxFailed:
			err = s.MarkFailed(ctx, ids, "400", time.Time{})
		case model.OutboxDropped:
			err = s.Drop(ctx, ids[0])
		}
		outboxMust(t, err)
		return ids[0]
	}
	now := t0.Add(2 * time.Hour)
	sending := seed(item("192.0.2.2", model.LevelMedium, time.Time{}), model.OutboxSending, time.Time{}) // first: the claim takes all
	queued := seed(item("192.0.2.1", model.LevelHigh, time.Time{}), model.OutboxQueued, time.Time{})
	sentLive := seed(item("192.0.2.3", model.LevelHigh, time.Time{}), model.OutboxSent, now.Add(-23*time.Hour))
	seed(item("192.0.2.4", model.LevelHigh, time.Time{}), model.OutboxSent, now.Add(-25*time.Hour))        // Okta forgot it
	seed(item("192.0.2.5", model.LevelHigh, now.Add(-time.Minute)), model.OutboxSent, now.Add(-time.Hour)) // expired
	sentUntil := seed(item("192.0.2.6", model.LevelMedium, now.Add(time.Minute)), model.OutboxSent, now.Add(-time.Hour))
	seed(item("192.0.2.7", model.LevelHigh, time.Time{}), model.OutboxFailed, time.Time{})
	seed(item("192.0.2.8", model.LevelHigh, time.Time{}), model.OutboxDropped, time.Time{})
	seed(item("192.0.2.9", model.LevelHigh, now.Add(-time.Second)), model.OutboxQueued, time.Time{}) // will fail unsent
	sentLow := seed(item("192.0.2.10", model.LevelLow, time.Time{}), model.OutboxSent, now.Add(-time.Hour))

	pushes := []store.Push{
		{Item: item("192.0.2.1", model.LevelHigh, time.Time{})},              // 0: queued at HIGH
		{Item: item("192.0.2.1", model.LevelLow, time.Time{})},               // 1: queued at a higher level
		{Item: item("192.0.2.2", model.LevelMedium, time.Time{})},            // 2: sending
		{Item: item("192.0.2.2", model.LevelHigh, time.Time{})},              // 3: sending at a lower level: queued
		{Item: item("192.0.2.3", model.LevelHigh, time.Time{})},              // 4: sent 23 h ago, live an hour more
		{Item: item("192.0.2.4", model.LevelHigh, time.Time{})},              // 5: sent 25 h ago: forgotten
		{Item: item("192.0.2.5", model.LevelHigh, time.Time{})},              // 6: sent, expired
		{Item: item("192.0.2.6", model.LevelMedium, time.Time{})},            // 7: sent, live a minute more
		{Item: item("192.0.2.7", model.LevelHigh, time.Time{})},              // 8: failed
		{Item: item("192.0.2.8", model.LevelHigh, time.Time{})},              // 9: dropped
		{Item: item("192.0.2.9", model.LevelHigh, time.Time{})},              // 10: queued but expired
		{Item: item("192.0.2.10", model.LevelHigh, time.Time{})},             // 11: sent at LOW
		{Item: item("192.0.2.3", model.LevelHigh, time.Time{}), Force: true}, // 12: forced
		{Item: item("192.0.2.50", model.LevelHigh, time.Time{})},             // 13: new
		{Item: item("192.0.2.50", model.LevelMedium, time.Time{})},           // 14: the same address again in the batch
	}
	got, err := s.EnqueueOnce(ctx, pushes, now, ttl)
	outboxMust(t, err)
	if len(got) != len(pushes) {
		t.Fatalf("%d results for %d pushes", len(got), len(pushes))
	}
	skipped := map[int]int64{0: queued, 1: queued, 2: sending, 4: sentLive, 7: sentUntil}
	for i, g := range got {
		if i == 14 {
			continue // below
		}
		if want, ok := skipped[i]; ok {
			if !g.Skipped() || g.ID != 0 || g.Live.ID != want {
				t.Errorf("push %d (%s): %+v, want skipped for #%d", i, pushes[i].Item.IP, g, want)
			}
			continue
		}
		if g.Skipped() || g.ID == 0 {
			t.Errorf("push %d (%s): %+v, want queued", i, pushes[i].Item.IP, g)
		}
	}
	if g := got[2]; g.Live.State != model.OutboxSending {
		t.Errorf("push 2 names %+v, want the sending item", g.Live)
	}
	if g := got[4]; g.Live.State != model.OutboxSent || !g.Live.SentAt.Equal(now.Add(-23*time.Hour)) {
		t.Errorf("push 4 names %+v, want the sent item", g.Live)
	}
	if g := got[11]; g.Live.ID != 0 {
		t.Errorf("a HIGH push names the LOW item sent before (#%d): %+v", sentLow, g)
	}
	if g := got[12]; g.Live.ID != sentLive || g.ID == 0 {
		t.Errorf("forced push: %+v, want queued, naming #%d", g, sentLive)
	}
	if g := got[14]; !g.Skipped() || g.Live.ID != got[13].ID || g.Live.State != model.OutboxQueued {
		t.Errorf("the batch's second 192.0.2.50: %+v, want skipped for #%d", g, got[13].ID)
	}
	// What was queued is in the outbox as given, in the order given.
	var ids []int64
	for _, g := range got {
		if !g.Skipped() {
			ids = append(ids, g.ID)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids %v not in push order", ids)
	}
	items, err := s.OutboxItems(ctx, ids)
	outboxMust(t, err)
	for i, it := range items {
		if it.State != model.OutboxQueued || it.Actor != "alice" || !it.Created.Equal(t0) {
			t.Errorf("queued item %+v", it)
		}
		if i > 0 && it.IP == items[i-1].IP && it.IP != "192.0.2.3" {
			t.Errorf("%s queued twice", it.IP)
		}
	}
	if got, err := s.EnqueueOnce(ctx, nil, now, ttl); err != nil || len(got) != 0 {
		t.Errorf("no pushes: %v, %v", got, err)
	}
}

// LivePushes with Covering says, for every address and level, exactly
// what EnqueueOnce then does: skip the push (and name the same item) or
// queue it.
func testLivePushesAgreesWithEnqueueOnce(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	t0 := outboxNow
	const ttl = 24 * time.Hour
	now := t0.Add(2 * time.Hour)
	var ips []string
	levels := []model.Level{model.LevelLow, model.LevelMedium, model.LevelHigh}
	states := []model.OutboxState{model.OutboxQueued, model.OutboxSent, model.OutboxFailed, model.OutboxDropped}
	for i := range 24 {
		ip := fmt.Sprintf("192.0.2.%d", i+1)
		ips = append(ips, ip)
		it := model.OutboxItem{Created: t0, IP: ip, Level: levels[i%3], Actor: "alice"}
		if i%5 == 4 {
			it.ExpiresAt = now.Add(-time.Minute) // expired
		}
		ids, err := s.Enqueue(ctx, []model.OutboxItem{it})
		outboxMust(t, err)
		switch states[(i/3)%4] {
		case model.OutboxSent:
			sent := now.Add(-time.Hour)
			if i%7 == 6 {
				sent = now.Add(-25 * time.Hour) // Okta forgot it
			}
			outboxMust(t, s.MarkSent(ctx, ids, sent))
		case model.OutboxFailed:
			outboxMust(t, s.MarkFailed(ctx, ids, "400", time.Time{}))
		case model.OutboxDropped:
			outboxMust(t, s.Drop(ctx, ids[0]))
		}
	}
	ips = append(ips, "198.51.100.1") // never pushed
	live, err := s.LivePushes(ctx, ips, now, ttl)
	outboxMust(t, err)
	covered := 0
	for _, lv := range levels {
		for _, ip := range ips {
			want, skip := store.Covering(live[ip], lv)
			// One address at a time; what EnqueueOnce queues is dropped
			// again so that it does not count for the next level.
			got, err := s.EnqueueOnce(ctx, []store.Push{{Item: model.OutboxItem{Created: now, IP: ip, Level: lv, Actor: "bob"}}}, now, ttl)
			outboxMust(t, err)
			if got[0].Skipped() != skip || (skip && got[0].Live.ID != want.ID) {
				t.Fatalf("%s at %v: LivePushes says skip %v (#%d), EnqueueOnce %+v", ip, lv, skip, want.ID, got[0])
			}
			if skip {
				covered++
			} else {
				outboxMust(t, s.Drop(ctx, got[0].ID))
			}
		}
	}
	if covered == 0 || covered == len(ips)*len(levels) {
		t.Fatalf("%d covered: the fixture does not tell the cases apart", covered)
	}
	if none, err := s.LivePushes(ctx, nil, now, ttl); err != nil || len(none) != 0 {
		t.Fatalf("no addresses: %v %v", none, err)
	}
}

// A person's item keeps its subject, previous level and source; an item
// is an address or a person, never both nor neither.
func testEnqueuePerson(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	p := model.OutboxItem{Created: outboxNow, Subject: "zoe@example.com", Level: model.LevelCritical,
		Previous: model.LevelLow, Source: "cloudflare", Actor: "alice"}
	ids, err := s.Enqueue(ctx, []model.OutboxItem{p})
	outboxMust(t, err)
	items, err := s.OutboxItems(ctx, ids)
	outboxMust(t, err)
	got := items[0]
	if got.Subject != p.Subject || got.IP != "" || got.Previous != model.LevelLow || got.Source != "cloudflare" ||
		got.Level != model.LevelCritical || got.State != model.OutboxQueued || !got.Person() || got.Target() != p.Subject {
		t.Fatalf("item %+v", got)
	}
	claimed, err := s.ClaimDue(ctx, outboxNow.Add(time.Minute), 10)
	outboxMust(t, err)
	if len(claimed) != 1 || claimed[0].Subject != p.Subject || claimed[0].Previous != model.LevelLow {
		t.Fatalf("claimed %+v", claimed)
	}
	both := p
	both.IP = "203.0.113.9"
	if _, err := s.Enqueue(ctx, []model.OutboxItem{both}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("both: %v", err)
	}
	if _, err := s.EnqueueOnce(ctx, []store.Push{{Item: model.OutboxItem{Level: model.LevelHigh}}}, outboxNow, time.Hour); err == nil ||
		!strings.Contains(err.Error(), "no IP and no subject") {
		t.Fatalf("neither: %v", err)
	}
}

// EnqueueOnce skips a person's push while an item of the same subject is
// queued or sending at the same or a higher level; a sent, failed or
// lower one does not count, nor does an address or another person.
func testEnqueueOncePerson(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	const ttl = 24 * time.Hour
	person := func(email string, level model.Level) model.OutboxItem {
		return model.OutboxItem{Created: outboxNow, Subject: email, Level: level, Actor: "alice"}
	}
	ids, err := s.Enqueue(ctx, []model.OutboxItem{person("sending@example.com", model.LevelHigh)})
	outboxMust(t, err)
	_, err = s.ClaimDue(ctx, outboxNow.Add(time.Minute), 10)
	outboxMust(t, err)
	queued, err := s.Enqueue(ctx, []model.OutboxItem{
		person("queued@example.com", model.LevelHigh),
		person("sent@example.com", model.LevelHigh),
		person("failed@example.com", model.LevelHigh),
	})
	outboxMust(t, err)
	outboxMust(t, s.MarkSent(ctx, queued[1:2], outboxNow))
	outboxMust(t, s.MarkFailed(ctx, queued[2:3], "400", time.Time{}))
	_, err = s.Enqueue(ctx, []model.OutboxItem{{Created: outboxNow, IP: "192.0.2.1", Level: model.LevelHigh}})
	outboxMust(t, err)

	now := outboxNow.Add(time.Hour)
	pushes := []store.Push{
		{Item: person("queued@example.com", model.LevelHigh)},              // 0: skipped
		{Item: person("queued@example.com", model.LevelMedium)},            // 1: skipped (queued higher)
		{Item: person("queued@example.com", model.LevelCritical)},          // 2: queued (higher)
		{Item: person("sending@example.com", model.LevelHigh)},             // 3: skipped
		{Item: person("sent@example.com", model.LevelHigh)},                // 4: queued: sent does not count
		{Item: person("failed@example.com", model.LevelHigh)},              // 5: queued
		{Item: person("new@example.com", model.LevelLow)},                  // 6: queued
		{Item: person("new@example.com", model.LevelLow)},                  // 7: skipped: the batch named it
		{Item: person("queued@example.com", model.LevelHigh), Force: true}, // 8: forced
	}
	done, err := s.EnqueueOnce(ctx, pushes, now, ttl)
	outboxMust(t, err)
	wantSkipped := []bool{true, true, false, true, false, false, false, true, false}
	for i, d := range done {
		if d.Skipped() != wantSkipped[i] {
			t.Errorf("push %d: skipped %v, live %+v", i, d.Skipped(), d.Live)
		}
	}
	// 8 is covered by 2 (queued by this batch at CRITICAL, newer than 0's).
	if done[0].Live.ID != queued[0] || done[3].Live.ID != ids[0] || done[7].Live.ID != done[6].ID || done[8].Live.ID != done[2].ID {
		t.Errorf("live items: %+v", done)
	}
}

func testNextOutboxDue(t *testing.T, open Opener) {
	f := open(t)
	s1 := f.Store
	ctx := context.Background()
	t0 := outboxNow
	due := func(s store.Store) (time.Time, bool) {
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
	outboxMust(t, err)
	if at, ok := due(s1); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("due %v %v, want %v", at, ok, t0.Add(time.Hour))
	}
	soon, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.2", NextTry: t0.Add(10 * time.Second)}})
	outboxMust(t, err)
	if at, ok := due(s1); !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("due %v %v, want %v", at, ok, t0.Add(10*time.Second))
	}

	// Claimed by this store: due again only when the lease (10 min) runs
	// out, before the queued item an hour away.
	if c, _ := s1.ClaimDue(ctx, t0.Add(10*time.Second), 10); len(c) != 1 || c[0].ID != soon[0] {
		t.Fatalf("claimed %v", outboxIDs(c))
	}
	leaseEnd := t0.Add(10*time.Second + 10*time.Minute)
	if at, ok := due(s1); !ok || !at.Equal(leaseEnd) {
		t.Fatalf("with one sending, due %v %v, want the end of its lease %v", at, ok, leaseEnd)
	}
	outboxMust(t, s1.Drop(ctx, late[0]))
	if at, ok := due(s1); !ok || !at.Equal(leaseEnd) {
		t.Fatalf("only the sending one left: due %v %v, want %v", at, ok, leaseEnd)
	}

	// Another process sees the interrupted send as due at once (its claim
	// time) once this one is gone.
	s2 := f.Reopen(t)
	if at, ok := due(s2); !ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after restart due %v %v, want at once (%v)", at, ok, t0.Add(10*time.Second))
	}
	c, err := s2.ClaimDue(ctx, t0.Add(11*time.Second), 10)
	if err != nil || len(c) != 1 {
		t.Fatalf("claim after restart: %v %v", outboxIDs(c), err)
	}

	// Failed for good, sent and dropped items are never due.
	outboxMust(t, s2.MarkFailed(ctx, soon, "okta: 400", time.Time{}))
	if at, ok := due(s2); ok {
		t.Fatalf("failed item due at %v", at)
	}
	outboxMust(t, s2.Requeue(ctx, soon[0], t0.Add(time.Minute)))
	if at, ok := due(s2); !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("requeued: due %v %v", at, ok)
	}
	c, _ = s2.ClaimDue(ctx, t0.Add(time.Minute), 10)
	outboxMust(t, s2.MarkSent(ctx, outboxIDs(c), t0.Add(time.Minute)))
	if at, ok := due(s2); ok {
		t.Fatalf("sent item due at %v", at)
	}
}

func testOutboxItems(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	ids := enqueueAt(t, s, 1200, outboxNow) // more than one chunk on SQLite
	ask := []int64{ids[1100], ids[3], ids[700], ids[3]}
	items, err := s.OutboxItems(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outboxIDs(items), ask) {
		t.Fatalf("ids %v, want %v", outboxIDs(items), ask)
	}
	if it := items[1]; it.IP != "198.51.100.3" || it.State != model.OutboxQueued || it.Actor != "alice" || it.Level != model.LevelHigh {
		t.Errorf("item = %+v", it)
	}
	if got, err := s.OutboxItems(ctx, nil); err != nil || got != nil {
		t.Errorf("no ids: %v, %v", got, err)
	}
	if _, err := s.OutboxItems(ctx, []int64{ids[0], 99999}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// LatestPersonPush is a subject's newest item in any state, never an
// address's or another person's; none for a subject never pushed.
func testLatestPersonPush(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	person := func(email string, level model.Level) model.OutboxItem {
		return model.OutboxItem{Created: outboxNow, Subject: email, Level: level, Actor: "alice"}
	}
	ids, err := s.Enqueue(ctx, []model.OutboxItem{person("zoe@example.com", model.LevelMedium), person("max@example.com", model.LevelHigh)})
	outboxMust(t, err)
	outboxMust(t, s.MarkSent(ctx, ids[:1], outboxNow.Add(time.Minute)))
	got, ok, err := s.LatestPersonPush(ctx, "zoe@example.com")
	if err != nil || !ok || got.ID != ids[0] || got.State != model.OutboxSent || got.Level != model.LevelMedium {
		t.Fatalf("zoe's after one sent: %+v %v %v", got, ok, err)
	}
	later, err := s.Enqueue(ctx, []model.OutboxItem{person("zoe@example.com", model.LevelCritical),
		{Created: outboxNow, IP: "192.0.2.7", Level: model.LevelHigh, Actor: "alice"}})
	outboxMust(t, err)
	got, ok, err = s.LatestPersonPush(ctx, "zoe@example.com")
	if err != nil || !ok || got.ID != later[0] || got.State != model.OutboxQueued || got.Level != model.LevelCritical {
		t.Fatalf("zoe's after a second: %+v %v %v", got, ok, err)
	}
	if got, ok, err := s.LatestPersonPush(ctx, "ava@example.com"); err != nil || ok {
		t.Fatalf("ava, never pushed: %+v %v %v", got, ok, err)
	}
	if got, ok, err := s.LatestPersonPush(ctx, ""); err != nil || ok {
		t.Fatalf("no subject: %+v %v %v", got, ok, err)
	}
}
