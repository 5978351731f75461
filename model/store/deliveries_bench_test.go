package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkClaimDeliveries claims and marks one notification while the
// table holds 100,000 delivered ones (a busy month before pruning): the
// claim must not read them.
func BenchmarkClaimDeliveries(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "risktop.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := fixtureNow
	const old = 100_000
	batch := make([]DeliveryMessage, 0, 1000)
	for i := range old {
		batch = append(batch, DeliveryMessage{ID: fmt.Sprintf("old-%d", i), Payload: `{}`})
		if len(batch) == cap(batch) {
			if _, err := s.EnqueueDeliveries(ctx, batch, []string{"webhook"}, t0); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := s.write.Exec(`UPDATE deliveries SET state = 'delivered', done_ms = ?`, t0.UnixMilli()); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		now := t0.Add(time.Duration(i) * time.Millisecond)
		if _, err := s.EnqueueDeliveries(ctx, []DeliveryMessage{{ID: fmt.Sprintf("new-%d", i), Payload: `{}`}}, []string{"webhook"}, now); err != nil {
			b.Fatal(err)
		}
		ds, err := s.ClaimDeliveries(ctx, "webhook", now, 20)
		if err != nil || len(ds) != 1 {
			b.Fatalf("claimed %d, %v", len(ds), err)
		}
		if err := s.MarkDelivered(ctx, ds[0].ID, now); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.NextDeliveryDue(ctx, "webhook"); err != nil {
			b.Fatal(err)
		}
	}
}
