package okta

import (
	"context"
	"errors"
	"net/http"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: a token (OAuth) and the risk provider that
// attributes our pushes. Nothing is pushed: a check must not change the
// org's risk.
func check(ctx context.Context, s *vendorkit.Section, opts httpx.Options) (r vendorkit.CheckResult) {
	cfg := ConfigOf(s, opts)
	c, err := New(cfg)
	if err != nil {
		r.Fail(err)
		return r
	}
	defer func() { rl, ok := c.RateLimit(); r.SetBudget(rl, ok) }()
	att, err := c.CheckProvider(ctx)
	var te *TokenError
	switch {
	case httpx.StatusOf(err) == http.StatusForbidden && !errors.As(err, &te),
		errors.As(err, &te) && te.ScopeRefused():
		// Reading providers takes okta.riskProviders.read, which a
		// push-only app may rightly lack; pushes may still work.
		r.OK(&r.Reachable, &r.Authenticated)
		r.Permitted = vendorkit.MarkWarn
		r.Note("cannot read risk providers, so attribution is unknown (grant %s to check it): %s", ScopeProvidersRead, vendorkit.Describe(err))
		return r
	case err != nil:
		r.Fail(err)
		return r
	}
	r.OK(&r.Reachable, &r.Authenticated)
	switch att.State {
	case Enforced:
		r.Permitted = vendorkit.MarkOK
	case LogOnly, NoClientID:
		r.Permitted = vendorkit.MarkWarn
	default:
		r.Permitted = vendorkit.MarkFail
	}
	r.Note("%s (%s)", att.Detail, cfg.Mode())
	return r
}
