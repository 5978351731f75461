package olsim

import (
	"net/http"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// DefaultScoreWindow is how far back Score Insights looks without "after".
const DefaultScoreWindow = 30 * 24 * time.Hour

// scores serves GET /api/2/risk/scores: log-in events with a risk score in
// [after, before), counted per bucket. The page says neither bound may lie
// more than 90 days back but not what the server does about it; we answer
// 400 in the v1 envelope, so a client that forgets to clamp finds out.
// The page documents before and after
// (https://developers.onelogin.com/api-docs/2/vigilance/get-scores) but
// the SDKs declare no parameters for the call, so Options.ScoresIgnoreWindow
// answers as a server that ignores them would.
func (s *Server) scores(w http.ResponseWriter, r *http.Request) {
	now := s.World().Now()
	before, after := now, now.Add(-DefaultScoreWindow)
	q := r.URL.Query()
	if s.options().ScoresIgnoreWindow {
		q = nil // the server's defaults, whatever was asked
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"before", &before}, {"after", &after}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseTime(v)
			if err != nil {
				s.fail(w, http.StatusBadRequest, "Invalid "+p.name+": use an ISO 8601 date")
				return
			}
			*p.dst = t
		}
	}
	floor := now.Add(-MaxLookback)
	switch {
	case after.Before(floor) || before.Before(floor):
		s.fail(w, http.StatusBadRequest, "Dates may be at most 90 days ago")
		return
	case after.After(before):
		s.fail(w, http.StatusBadRequest, "after must not be later than before")
		return
	}
	counts := ScoreCounts(s.World().Between(after, before))
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"scores": map[string]int{
			model.BucketMinimal.String():  counts[model.BucketMinimal],
			model.BucketLow.String():      counts[model.BucketLow],
			model.BucketMedium.String():   counts[model.BucketMedium],
			model.BucketHigh.String():     counts[model.BucketHigh],
			model.BucketVeryHigh.String(): counts[model.BucketVeryHigh],
		},
		"total": counts[0] + counts[1] + counts[2] + counts[3] + counts[4],
	})
}

// ScoreCounts buckets the scored log-ins among acts, the way the simulator
// answers Score Insights; tests use it to know the right answer.
func ScoreCounts(acts []simkit.Activity) [len(model.Buckets)]int {
	var c [len(model.Buckets)]int
	for _, a := range acts {
		if a.Kind == simkit.KindLogin && a.Score >= 0 {
			c[model.BucketOf(a.Score)]++
		}
	}
	return c
}
