package onelogin

import (
	"context"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: a token and the hourly budget (GET
// /auth/rate_limit), one event, then score insights, whose failure only
// costs the SmartFactor chart.
func check(ctx context.Context, s *vendorkit.Section, opts httpx.Options) (r vendorkit.CheckResult) {
	c, err := New(ConfigOf(s, opts))
	if err != nil {
		r.Fail(err)
		return r
	}
	rl, err := c.FetchRateLimit(ctx)
	if err != nil {
		r.Fail(err)
		return r
	}
	r.OK(&r.Reachable, &r.Authenticated)
	if _, err := c.Events(ctx, Query{Limit: 1}); err != nil {
		r.Fail(err)
		r.SetBudget(rl, true)
		return r
	}
	r.OK(&r.Permitted)
	if _, err := c.ScoreInsights(ctx, ScoreQuery{}); err != nil {
		r.Permitted = vendorkit.MarkWarn
		r.Note("events readable, but score insights failed, so no SmartFactor chart: %s", vendorkit.Describe(err))
	} else {
		r.Note("events and SmartFactor score insights readable")
	}
	if last, ok := c.RateLimit(); ok && last.Observed.After(rl.Observed) {
		rl = last
	}
	r.SetBudget(rl, true)
	return r
}
