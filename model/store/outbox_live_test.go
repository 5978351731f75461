package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// LivePushes with Covering says, for every address and level, exactly
// what EnqueueOnce then does: skip the push (and name the same item) or
// queue it.
func TestLivePushesAgreesWithEnqueueOnce(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	t0 := fixtureNow
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
		must(t, err)
		switch states[(i/3)%4] {
		case model.OutboxSent:
			sent := now.Add(-time.Hour)
			if i%7 == 6 {
				sent = now.Add(-25 * time.Hour) // Okta forgot it
			}
			must(t, s.MarkSent(ctx, ids, sent))
		case model.OutboxFailed:
			must(t, s.MarkFailed(ctx, ids, "400", time.Time{}))
		case model.OutboxDropped:
			must(t, s.Drop(ctx, ids[0]))
		}
	}
	ips = append(ips, "198.51.100.1") // never pushed
	live, err := s.LivePushes(ctx, ips, now, ttl)
	must(t, err)
	covered := 0
	for _, lv := range levels {
		for _, ip := range ips {
			want, skip := Covering(live[ip], lv)
			// A forced push would change what follows: check one address
			// at a time in a copy of nothing; EnqueueOnce on a fresh
			// transaction, then drop what it queued.
			got, err := s.EnqueueOnce(ctx, []Push{{Item: model.OutboxItem{Created: now, IP: ip, Level: lv, Actor: "bob"}}}, now, ttl)
			must(t, err)
			if got[0].Skipped() != skip || (skip && got[0].Live.ID != want.ID) {
				t.Fatalf("%s at %v: LivePushes says skip %v (#%d), EnqueueOnce %+v", ip, lv, skip, want.ID, got[0])
			}
			if skip {
				covered++
			} else {
				must(t, s.Drop(ctx, got[0].ID))
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
