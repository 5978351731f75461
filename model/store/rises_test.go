package store

import (
	"context"
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
