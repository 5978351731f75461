package cloudflare

import (
	"context"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: the summary, one user's detail (which needs
// 'Zero Trust: PII Read'), and the behaviors.
func check(ctx context.Context, s *vendorkit.Section, opts httpx.Options) (r vendorkit.CheckResult) {
	c, err := New(ConfigOf(s, opts))
	if err != nil {
		r.Fail(err)
		return r
	}
	defer func() { rl, ok := c.RateLimit(); r.SetBudget(rl, ok) }()
	sum, err := c.Summary(ctx)
	if err != nil {
		r.Fail(err)
		return r
	}
	r.OK(&r.Reachable, &r.Authenticated)
	if len(sum.Users) == 0 {
		r.Permitted = vendorkit.MarkWarn
		r.Note("no user has risk events, so user detail ('Zero Trust: PII Read') could not be tried")
	} else if _, err := c.User(ctx, sum.Users[0].UserID); err != nil {
		r.Fail(err)
		return r
	}
	bs, err := c.Behaviors(ctx)
	if err != nil {
		r.Fail(err)
		return r
	}
	r.OK(&r.Permitted)
	enabled := 0
	for _, b := range bs {
		if b.Enabled {
			enabled++
		}
	}
	r.Note("%d users with risk events, user detail readable, %d of %d behaviors enabled", sum.TotalCount, enabled, len(bs))
	return r
}
