package okta

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: which push path the org accepts (the Risk
// Providers API answering, the Security Events Providers API answering),
// a recommendation, and the configured path's readiness: the risk
// provider that attributes our pushes, or the Security Events Provider
// of our issuer. Nothing is pushed: a check must not change the org's
// risk.
func check(ctx context.Context, s *vendorkit.Section, opts httpx.Options) (r vendorkit.CheckResult) {
	cfg := ConfigOf(s, opts)
	c, err := New(cfg)
	if err != nil {
		r.Fail(err)
		return r
	}
	defer func() { rl, ok := c.RateLimit(); r.SetBudget(rl, ok) }()
	if !c.auth.canRead() {
		// push: ssf alone: SETs need no credential, and nothing can be read.
		r.Permitted = vendorkit.MarkWarn
		r.Note("push over SSF as %s; no api_token or OAuth service app to read the org's Security Events Providers, so whether it has one for this issuer is unknown (a push will say)", cfg.SSFIssuer)
		return r
	}
	ssfProviders, ssfErr := c.SecurityEventsProviders(ctx)
	if c.PushPath() == PushSSF {
		return checkSSF(&r, c, ssfProviders, ssfErr)
	}
	att, err := c.CheckProvider(ctx)
	defer func() { r.Note("%s", pathAdvice(err, ssfErr)) }()
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

// checkSSF reads the Security Events Providers for the configured issuer.
func checkSSF(r *vendorkit.CheckResult, c *Client, ps []SecurityEventsProvider, err error) vendorkit.CheckResult {
	if err != nil {
		r.Fail(err)
		if st := httpx.StatusOf(err); st == http.StatusForbidden || st == http.StatusNotFound {
			r.Note("the org does not answer the Security Events Providers API: SSF needs Identity Threat Protection (or Adaptive MFA, limited), and the app the scope %s", ScopeSecurityEventsProvidersRead)
		}
		return *r
	}
	r.OK(&r.Reachable, &r.Authenticated)
	p, why := FindSecurityEventsProvider(ps, c.SSFIssuer())
	switch {
	case why != "":
		r.Permitted = vendorkit.MarkFail
		r.Note("push over SSF: %s", why)
	default:
		r.Permitted = vendorkit.MarkOK
		r.Note("push over SSF: Security Events Provider %q (%s) takes SETs from %s, key %s (%s)", p.Name, p.ID, c.SSFIssuer(), c.SETSigner().KeyID(), c.SETSigner().Alg())
	}
	return *r
}

// pathAdvice says which push paths the org answers and which to use.
func pathAdvice(riskErr, ssfErr error) string {
	gone := func(err error) bool {
		st := httpx.StatusOf(err)
		return st == http.StatusNotFound || (st == http.StatusForbidden && !isScope(err))
	}
	var paths []string
	if !gone(riskErr) {
		paths = append(paths, "risk-events (the Risk Providers API answers)")
	}
	switch {
	case isScope(ssfErr):
		paths = append(paths, "ssf unknown (grant "+ScopeSecurityEventsProvidersRead+" to check)")
	case ssfErr == nil || !gone(ssfErr):
		paths = append(paths, "ssf (the Security Events Providers API answers)")
	}
	switch {
	case ssfErr == nil:
		return "push paths the org accepts: " + strings.Join(paths, ", ") +
			"; recommended: push: ssf (Okta marks the Risk Events API for deprecation; `risktop okta ssf-setup` prints what to register)"
	case isScope(ssfErr):
		return "push paths the org accepts: " + strings.Join(paths, ", ")
	case len(paths) == 0:
		return "the org answers neither push path's API"
	}
	return "push paths the org accepts: " + strings.Join(paths, ", ") + "; recommended: push: risk-events (the Security Events Providers API did not answer: " +
		vendorkit.Describe(ssfErr) + ")"
}

func isScope(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.ScopeRefused()
}
