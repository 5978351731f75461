package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// BenchmarkRises: the last hour's rises with 200,000 history rows behind
// them (a day of polls of 2,000 people whose levels move), read on every
// change of people for the Users list's marks.
func BenchmarkRises(b *testing.B) {
	s, err := Open(":memory:", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	const people, polls = 2000, 100
	for p := 0; p < polls; p++ {
		vs := make([]model.UserRisk, people)
		for i := range vs {
			l := model.Level(1 + (i+p)%4)
			vs[i] = model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprint(i), Email: fmt.Sprintf("p%d@example.com", i), Level: l,
				RawLevel: l.String(), Score: model.NoScore}
		}
		if err := s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(p)*15*time.Minute), vs); err != nil {
			b.Fatal(err)
		}
	}
	since := t0.Add(time.Duration(polls-4) * 15 * time.Minute)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, err := s.Rises(ctx, since, 0)
		if err != nil || len(rs) == 0 {
			b.Fatal(len(rs), err)
		}
	}
}
