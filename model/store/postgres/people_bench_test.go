package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store/pgtest"
)

// BenchmarkPGRises is SQLite's BenchmarkRises on PostgreSQL: the last
// hour's rises with 200,000 history rows behind them (a day of polls of
// 2,000 people whose levels move).
func BenchmarkPGRises(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	const people, polls = 2000, 100
	for p := 0; p < polls; p++ {
		if err := s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(p)*15*time.Minute), benchPoll(p, people)); err != nil {
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

// BenchmarkPGPutUserRisks stores a poll of 2,000 people whose levels all
// moved, over a history of 50 polls.
func BenchmarkPGPutUserRisks(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	const people = 2000
	for p := 0; p < 50; p++ {
		if err := s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(p)*time.Minute), benchPoll(p, people)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.PutUserRisks(ctx, "cloudflare", t0.Add(time.Duration(50+i)*time.Minute), benchPoll(50+i, people)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPoll(p, people int) []model.UserRisk {
	vs := make([]model.UserRisk, people)
	for i := range vs {
		l := model.Level(1 + (i+p)%4)
		vs[i] = model.UserRisk{Vendor: "cloudflare", UserID: fmt.Sprint(i), Email: fmt.Sprintf("p%d@example.com", i), Level: l,
			RawLevel: l.String(), Score: model.NoScore}
	}
	return vs
}
