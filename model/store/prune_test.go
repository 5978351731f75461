package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/eventgen"
)

func TestPrune(t *testing.T) {
	s := openMem(t)
	s.pruneBatch = 100
	ctx := context.Background()
	cut := fixtureNow.Add(-30 * 24 * time.Hour)
	g := eventgen.New(13, 30)
	// 1,200 old events (a dozen prune batches) and 500 newer ones.
	for day := range 6 {
		put(t, s, g.Batch(200, cut.Add(-time.Duration(day+1)*24*time.Hour), 24*time.Hour))
	}
	put(t, s, g.Batch(500, cut, 24*time.Hour)) // the first one is exactly at the cut
	views := []model.UserRisk{{UserID: "u1", Level: model.LevelLow}}
	must(t, s.PutUserRisks(ctx, "cloudflare", cut.Add(-time.Hour), views))
	views[0].Level = model.LevelHigh
	must(t, s.PutUserRisks(ctx, "cloudflare", cut.Add(time.Hour), views))
	must(t, s.PutScores(ctx, model.Scores{Window: 24 * time.Hour, At: cut.Add(-time.Minute)}))
	must(t, s.PutScores(ctx, model.Scores{Window: 24 * time.Hour, At: cut.Add(time.Minute)}))
	if _, err := s.AppendAudit(ctx, model.AuditEntry{At: cut.Add(-time.Hour), Action: "push-ip", Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	ids := enqueue(t, s, 3, cut.Add(-2*time.Hour))
	if _, err := s.ClaimDue(ctx, cut.Add(-2*time.Hour), 3); err != nil {
		t.Fatal(err)
	}
	must(t, s.MarkSent(ctx, ids[:1], cut.Add(-time.Hour)))
	must(t, s.MarkFailed(ctx, ids[1:2], "down", time.Time{}))

	st, err := s.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if want := (PruneStats{Events: 1200, History: 1, Scores: 1, Outbox: 1}); st != want {
		t.Errorf("pruned %+v, want %+v", st, want)
	}
	if n, _ := s.CountEvents(ctx, EventFilter{}); n != 500 {
		t.Errorf("%d events left, want 500", n)
	}
	if n, _ := s.CountEvents(ctx, EventFilter{To: cut}); n != 0 {
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
	// Pruning again removes nothing; the text filter and paging still work.
	if st, err := s.Prune(ctx, cut); err != nil || st != (PruneStats{}) {
		t.Errorf("second prune: %+v, %v", st, err)
	}
	if got := walk(t, s, EventQuery{Limit: 77}); len(got) != 500 {
		t.Errorf("paged %d events after pruning", len(got))
	}
}

func TestPruneEvery(t *testing.T) {
	s := openMem(t)
	put(t, s, []model.Event{
		{Vendor: "onelogin", ID: "old", Time: time.Now().Add(-100 * 24 * time.Hour)},
		{Vendor: "onelogin", ID: "new", Time: time.Now().Add(-time.Hour)},
	})
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex
		reports []PruneStats
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		PruneEvery(ctx, s, 10*time.Millisecond, DefaultRetention, func(st PruneStats, err error) {
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if reports = append(reports, st); len(reports) == 3 {
				cancel()
			}
		})
	})
	wg.Wait() // PruneEvery returns once ctx ends
	if len(reports) < 3 || reports[0].Events != 1 || reports[1].Events != 0 {
		t.Errorf("reports = %+v", reports)
	}
	if n, _ := s.CountEvents(context.Background(), EventFilter{}); n != 1 {
		t.Errorf("%d events left", n)
	}
}
