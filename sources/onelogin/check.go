package onelogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: a token and the hourly budget (GET
// /auth/rate_limit), one event, the user behind it (GET /api/2/users/:id,
// which joins OneLogin's people by email), then score insights, whose
// failure only costs the SmartFactor chart, and whether OneLogin honours
// the score window.
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
	page, err := c.Events(ctx, Query{Limit: 1})
	if err != nil {
		r.Fail(err)
		r.SetBudget(rl, true)
		return r
	}
	r.OK(&r.Permitted)
	r.Note("%s", checkUsers(ctx, c, page, &r))
	now := c.now()
	si, err := c.ScoreInsights(ctx, ScoreQuery{After: now.Add(-24 * time.Hour), Before: now})
	if err != nil {
		r.Permitted = vendorkit.MarkWarn
		r.Note("events readable, but score insights failed, so no SmartFactor chart: %s", vendorkit.Describe(err))
	} else {
		switch ignored, known, err := c.WindowIgnored(ctx, si); {
		case err != nil:
			r.Note("SmartFactor score insights readable (whether OneLogin honours the window is unknown: %s)", vendorkit.Describe(err))
		case ignored:
			r.Note("SmartFactor score insights readable, but OneLogin ignores the window asked (the last 24h and a day 89 days ago both count %d sign-ins): the Overview shows OneLogin's own window, not 24h/7d/30d/90d", si.Total)
		case known:
			r.Note("SmartFactor score insights readable, windowed as asked")
		default:
			r.Note("SmartFactor score insights readable (no scored sign-ins in the last 24h, so whether OneLogin honours the window is not known yet)")
		}
	}
	if last, ok := c.RateLimit(); ok && last.Observed.After(rl.Observed) {
		rl = last
	}
	r.SetBudget(rl, true)
	return r
}

// checkUsers reads the user behind the first event with one, and says
// whether OneLogin's people can be joined by email.
func checkUsers(ctx context.Context, c *Client, page EventPage, r *vendorkit.CheckResult) string {
	var id int64
	for _, e := range page.Events {
		if e.UserID != nil && *e.UserID > 0 {
			id = *e.UserID
			break
		}
	}
	if id == 0 {
		// Any id will do to learn whether the scope covers users: a
		// 404 says it does.
		id = 1
	}
	_, err := c.GetUser(ctx, id)
	switch st := httpx.StatusOf(err); {
	case err == nil || errors.Is(err, ErrNoSuchUser):
		return "users readable: OneLogin's people are joined by email"
	case st == http.StatusForbidden || st == http.StatusUnauthorized:
		r.Permitted = vendorkit.MarkWarn
		return fmt.Sprintf("the Users API refused (%d): %s", st, hintUsersScope)
	default:
		r.Permitted = vendorkit.MarkWarn
		return "users unreadable, so OneLogin's people are joined by display name, a guess: " + vendorkit.Describe(err)
	}
}
