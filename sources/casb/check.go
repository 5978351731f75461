package casb

import (
	"context"
	"fmt"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: a token and one row of the user risk report.
func check(ctx context.Context, s *vendorkit.Section, opts httpx.Options) (r vendorkit.CheckResult) {
	cc := ConfigOf(s, opts)
	cc.PageSize = 1
	c, err := New(cc)
	if err != nil {
		r.Fail(err)
		return r
	}
	p, err := c.UserRiskPage(ctx, Filter{}, "")
	if err != nil {
		r.Fail(err)
		return r
	}
	r.OK(&r.Reachable, &r.Authenticated, &r.Permitted)
	rows := "an unknown number of"
	if p.TotalCount >= 0 {
		rows = fmt.Sprint(p.TotalCount)
	}
	r.Note("report %s readable (%s rows)", cc.Report, rows)
	rl, ok := c.RateLimit()
	r.SetBudget(rl, ok)
	return r
}
