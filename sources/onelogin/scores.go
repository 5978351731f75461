package onelogin

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
)

const scoresPath = "/api/2/risk/scores"

const (
	// MaxScoreLookback is as far back as Score Insights may look.
	MaxScoreLookback = 90 * 24 * time.Hour
	// DefaultScoreWindow is the server's "after" when none is sent.
	DefaultScoreWindow = 30 * 24 * time.Hour
	// scoreClampMargin keeps a clamped bound inside the limit even when
	// OneLogin's clock runs a little ahead of ours.
	scoreClampMargin = time.Minute
)

// ScoreQuery bounds Score Insights. Zero values leave the server's
// defaults: before = now, after = 30 days ago.
type ScoreQuery struct {
	After, Before time.Time
}

// ScoreInsights counts log-in events (not users) per risk-score bucket.
type ScoreInsights struct {
	Scores [len(model.Buckets)]int // indexed by model.Bucket
	Total  int
	// The window as sent, after clamping; zero where the server default applied.
	After, Before time.Time
}

// Count is the number of log-ins in bucket b.
func (s ScoreInsights) Count(b model.Bucket) int {
	if b < 0 || int(b) >= len(s.Scores) {
		return 0
	}
	return s.Scores[b]
}

// clampScoreQuery keeps both bounds within 90 days of now (less a margin
// for clock skew) and after <= before, so the call never asks for what the
// API says it cannot give.
func clampScoreQuery(q ScoreQuery, now time.Time) ScoreQuery {
	floor := now.Add(-MaxScoreLookback + scoreClampMargin)
	if !q.Before.IsZero() && q.Before.Before(floor) {
		q.Before = floor
	}
	upper := q.Before
	if upper.IsZero() {
		upper = now // the server's default before
	}
	if q.After.IsZero() && !q.Before.IsZero() && q.Before.Before(now.Add(-DefaultScoreWindow)) {
		// The server's default after (30 days ago) would fall after before.
		q.After = q.Before.Add(-DefaultScoreWindow)
	}
	if !q.After.IsZero() {
		if q.After.Before(floor) {
			q.After = floor
		}
		if q.After.After(upper) {
			q.After = upper
		}
	}
	return q
}

// ScoreInsights asks GET /api/2/risk/scores for the bucket counts.
func (c *Client) ScoreInsights(ctx context.Context, q ScoreQuery) (ScoreInsights, error) {
	q = clampScoreQuery(q, c.now())
	params := url.Values{}
	if !q.After.IsZero() {
		params.Set("after", FormatTime(q.After))
	}
	if !q.Before.IsZero() {
		params.Set("before", FormatTime(q.Before))
	}
	var body struct {
		Scores map[string]int `json:"scores"`
		Total  int            `json:"total"`
	}
	req := httpx.Request{Method: http.MethodGet, Path: scoresPath, Query: params, Op: "GET " + scoresPath}
	if _, err := c.do(ctx, req, &body); err != nil {
		return ScoreInsights{}, err
	}
	out := ScoreInsights{Total: body.Total, After: q.After, Before: q.Before}
	for _, b := range model.Buckets {
		out.Scores[b] = body.Scores[b.String()]
	}
	return out, nil
}

// WindowIgnored tells whether the server ignores the window asked of
// Score Insights. The reference page documents before and after
// (https://developers.onelogin.com/api-docs/2/vigilance/get-scores), but
// the generated SDKs list get_score_insights with no parameters
// (onelogin/onelogin-python-sdk docs/DefaultApi.md), so a server may
// answer its default window whatever is asked. Equal answers for nested
// windows (24h, 7d…) prove nothing: a young account has no older
// sign-ins. So recent, a reading of a recent window, is compared with a
// one-day window ending 89 days ago, disjoint from it: the same non-zero
// counts for both mean the window was ignored. known is false, and no
// request is made, when recent counted nothing.
func (c *Client) WindowIgnored(ctx context.Context, recent ScoreInsights) (ignored, known bool, err error) {
	if recent.Total == 0 {
		return false, false, nil
	}
	now := c.now()
	before := now.Add(-MaxScoreLookback + 24*time.Hour)
	old, err := c.ScoreInsights(ctx, ScoreQuery{After: before.Add(-24 * time.Hour), Before: before})
	if err != nil {
		return false, false, err
	}
	return old.Total == recent.Total && old.Scores == recent.Scores, true, nil
}
