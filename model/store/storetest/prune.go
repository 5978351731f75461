package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
	"github.com/risktop/risktop/model/store"
)

func init() {
	generalCases = append(generalCases, Case{"Prune", testPrune}, Case{"PruneTwoStores", testPruneTwoStores})
}

var pruneNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func pruneMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// pruneFixture stores 1,200 events before cut and 500 from it, history
// and score readings either side, an audit entry, and three pushes
// before it: one sent, one failed, one left sending.
func pruneFixture(t *testing.T, s store.Store, cut time.Time) {
	t.Helper()
	ctx := context.Background()
	g := eventgen.New(13, 30)
	for day := range 6 {
		_, err := s.PutEvents(ctx, g.Batch(200, cut.Add(-time.Duration(day+1)*24*time.Hour), 24*time.Hour))
		pruneMust(t, err)
	}
	_, err := s.PutEvents(ctx, g.Batch(500, cut, 24*time.Hour))
	pruneMust(t, err)
	views := []model.UserRisk{{UserID: "u1", Level: model.LevelLow}}
	pruneMust(t, s.PutUserRisks(ctx, "cloudflare", cut.Add(-time.Hour), views))
	views[0].Level = model.LevelHigh
	pruneMust(t, s.PutUserRisks(ctx, "cloudflare", cut.Add(time.Hour), views))
	pruneMust(t, s.PutScores(ctx, model.Scores{Window: 24 * time.Hour, At: cut.Add(-time.Minute)}))
	pruneMust(t, s.PutScores(ctx, model.Scores{Window: 24 * time.Hour, At: cut.Add(time.Minute)}))
	_, err = s.AppendAudit(ctx, model.AuditEntry{At: cut.Add(-time.Hour), Action: "push-ip", Result: "ok"})
	pruneMust(t, err)
	items := make([]model.OutboxItem, 3)
	for i := range items {
		items[i] = model.OutboxItem{Created: cut.Add(-2 * time.Hour), IP: fmt.Sprintf("198.51.100.%d", i), Level: model.LevelHigh, Actor: "alice"}
	}
	ids, err := s.Enqueue(ctx, items)
	pruneMust(t, err)
	_, err = s.ClaimDue(ctx, cut.Add(-2*time.Hour), 3)
	pruneMust(t, err)
	pruneMust(t, s.MarkSent(ctx, ids[:1], cut.Add(-time.Hour)))
	pruneMust(t, s.MarkFailed(ctx, ids[1:2], "down", time.Time{}))
}

// Prune removes events, history, readings and sent pushes older than the
// cut, and nothing else: the audit log and unsent pushes stay; a second
// prune removes nothing; paging works on what is left.
func testPrune(t *testing.T, open Opener) {
	s := open(t).Store
	ctx := context.Background()
	cut := pruneNow.Add(-30 * 24 * time.Hour)
	pruneFixture(t, s, cut)

	st, err := s.Prune(ctx, cut)
	pruneMust(t, err)
	if want := (store.PruneStats{Events: 1200, History: 1, Scores: 1, Outbox: 1}); st != want {
		t.Errorf("pruned %+v, want %+v", st, want)
	}
	if n, _ := s.CountEvents(ctx, store.EventFilter{}); n != 500 {
		t.Errorf("%d events left, want 500", n)
	}
	if n, _ := s.CountEvents(ctx, store.EventFilter{To: cut}); n != 0 {
		t.Errorf("%d events before the cut left", n)
	}
	if h, _ := s.RiskHistory(ctx, "cloudflare:u1", time.Time{}); len(h) != 1 || h[0].Level != model.LevelHigh {
		t.Errorf("history left = %+v", h)
	}
	if a, _ := s.Audit(ctx, 0, 10); len(a) != 1 {
		t.Errorf("audit pruned: %d entries left", len(a))
	}
	if o, _ := s.Outbox(ctx, "", 10); len(o) != 2 {
		t.Errorf("outbox left = %+v, want the failed and the sending item", o)
	}
	if st, err := s.Prune(ctx, cut); err != nil || st != (store.PruneStats{}) {
		t.Errorf("second prune: %+v, %v", st, err)
	}
	n := 0
	q := store.EventQuery{Limit: 77}
	for {
		p, err := s.Events(ctx, q)
		pruneMust(t, err)
		n += len(p.Events)
		if !p.HasNext {
			break
		}
		q.After = p.LastKey
	}
	if n != 500 {
		t.Errorf("paged %d events after pruning", n)
	}
}

// Two stores pruning the same data at once remove each row once: the
// counts they report add up to what one prune removes.
func testPruneTwoStores(t *testing.T, open Opener) {
	f := open(t)
	a, b := f.Store, f.Second(t)
	ctx := context.Background()
	cut := pruneNow.Add(-30 * 24 * time.Hour)
	pruneFixture(t, a, cut)
	results := make(chan store.PruneStats, 2)
	errs := make(chan error, 2)
	for _, s := range []store.Store{a, b} {
		go func() {
			st, err := s.Prune(ctx, cut)
			results <- st
			errs <- err
		}()
	}
	var sum store.PruneStats
	for range 2 {
		st := <-results
		pruneMust(t, <-errs)
		sum.Events += st.Events
		sum.History += st.History
		sum.Scores += st.Scores
		sum.Outbox += st.Outbox
		sum.Deliveries += st.Deliveries
	}
	if want := (store.PruneStats{Events: 1200, History: 1, Scores: 1, Outbox: 1}); sum != want {
		t.Errorf("the two prunes removed %+v together, want %+v", sum, want)
	}
	if n, _ := a.CountEvents(ctx, store.EventFilter{}); n != 500 {
		t.Errorf("%d events left, want 500", n)
	}
}
