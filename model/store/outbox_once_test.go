package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// EnqueueOnce skips an address that has a live item at the same or a
// higher level: queued or sending (and not expired), or sent and still
// live at Okta. Lower levels, expired, failed and dropped items do not
// count; Force queues anyway and says what was live.
func TestEnqueueOnce(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
	const ttl = 24 * time.Hour
	item := func(ip string, level model.Level, expires time.Time) model.OutboxItem {
		return model.OutboxItem{Created: t0, IP: ip, Level: level, ExpiresAt: expires, Actor: "alice"}
	}
	seed := func(it model.OutboxItem, state model.OutboxState, sent time.Time) int64 {
		t.Helper()
		ids, err := s.Enqueue(ctx, []model.OutboxItem{it})
		must(t, err)
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
		must(t, err)
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

	pushes := []Push{
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
	must(t, err)
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
	// What was queued is in the outbox as given.
	var ids []int64
	for _, g := range got {
		if !g.Skipped() {
			ids = append(ids, g.ID)
		}
	}
	items, err := s.OutboxItems(ctx, ids)
	must(t, err)
	for _, it := range items {
		if it.State != model.OutboxQueued || it.Actor != "alice" || !it.Created.Equal(t0) {
			t.Errorf("queued item %+v", it)
		}
	}
}

// Two stores on one file (two processes) pushing the same addresses at
// once queue each address once.
func TestEnqueueOnceConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	var stores []*SQLite
	for range 2 {
		s, err := Open(path, Options{})
		must(t, err)
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	ctx := context.Background()
	pushes := []Push{{Item: model.OutboxItem{IP: "192.0.2.1", Level: model.LevelHigh}}, {Item: model.OutboxItem{IP: "192.0.2.2", Level: model.LevelHigh}}}
	const rounds = 8
	var wg sync.WaitGroup
	results := make([][]Enqueued, 2*rounds)
	for i := range results {
		wg.Go(func() {
			var err error
			results[i], err = stores[i%2].EnqueueOnce(ctx, pushes, fixtureNow, 24*time.Hour)
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	queued := 0
	for _, r := range results {
		for _, g := range r {
			if !g.Skipped() {
				queued++
			}
		}
	}
	all, err := stores[0].Outbox(ctx, "", 100)
	must(t, err)
	if queued != 2 || len(all) != 2 {
		t.Errorf("%d queued, %d in the outbox; want 2 (one per address)", queued, len(all))
	}
}
