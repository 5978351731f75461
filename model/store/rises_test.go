package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// Rises lists what went up since a time: not first readings, not falls,
// not rises older than since.
func TestRisesSince(t *testing.T) {
	s, err := Open(":memory:", Options{})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	view := func(email string, l model.Level) model.UserRisk {
		return model.UserRisk{Vendor: "cloudflare", UserID: email, Email: email, Level: l, RawLevel: l.String(), Score: model.NoScore}
	}
	put := func(at time.Time, vs ...model.UserRisk) { must(t, s.PutUserRisks(ctx, "cloudflare", at, vs)) }
	put(t0, view("ava@example.com", model.LevelLow), view("ben@example.com", model.LevelHigh), view("cy@example.com", model.LevelLow))
	put(t0.Add(10*time.Minute), view("ava@example.com", model.LevelMedium), view("ben@example.com", model.LevelHigh), view("cy@example.com", model.LevelLow))
	put(t0.Add(90*time.Minute), view("ava@example.com", model.LevelCritical), view("ben@example.com", model.LevelLow), view("cy@example.com", model.LevelLow),
		view("dee@example.com", model.LevelHigh))
	got, err := s.Rises(ctx, t0.Add(30*time.Minute), 0)
	must(t, err)
	if len(got) != 1 || got[0].Key != "ava@example.com" || got[0].From != model.LevelMedium || got[0].To != model.LevelCritical {
		t.Fatalf("rises in the last hour: %+v, want ava Medium→Critical only", got)
	}
	all, err := s.Rises(ctx, t0, 0)
	must(t, err)
	if len(all) != 2 || all[1].From != model.LevelLow || all[1].To != model.LevelMedium {
		t.Fatalf("rises since the start: %+v, want ava's two, newest first", all)
	}
}

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
