package cloudflare

import (
	"context"
	"fmt"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// check is `risktop check`'s: the credential itself (an API token through
// GET /user/tokens/verify, a Global API Key through GET /user), then the
// summary, one user's detail (which needs 'Zero Trust: PII Read', or for a
// key a user role that reads Zero Trust PII), and the behaviors. A refusal
// names what that kind of credential lacks: a token permission, or the
// key's user's access to the account (client.go, forCredential).
func check(ctx context.Context, s *vendorkit.Section, opts httpx.Options) (r vendorkit.CheckResult) {
	c, err := New(ConfigOf(s, opts))
	if err != nil {
		r.Fail(err)
		return r
	}
	defer func() { rl, ok := c.RateLimit(); r.SetBudget(rl, ok) }()
	switch c.Credential() {
	case CredGlobalKey:
		me, err := c.Me(ctx)
		if err != nil {
			r.Fail(err)
			if credentialRefused(err) { // 400 or 403, but about the key
				r.Authenticated, r.Permitted = vendorkit.MarkFail, vendorkit.MarkSkip
			}
			return r
		}
		r.OK(&r.Reachable, &r.Authenticated)
		r.Note("Global API Key of %s (legacy: every permission of that user; an API token can be scoped to read only)", me.Email)
	default:
		st, err := c.VerifyToken(ctx)
		if err != nil {
			r.Fail(err)
			return r
		}
		r.OK(&r.Reachable)
		if st.Status != "active" {
			r.Authenticated = vendorkit.MarkFail
			r.Note("the API token is %s; %s", orUnknown(st.Status), "roll it or create a new one under My Profile → API Tokens")
			return r
		}
		r.OK(&r.Authenticated)
	}
	sum, err := c.Summary(ctx)
	if err != nil {
		r.Fail(err)
		return r
	}
	if len(sum.Users) == 0 {
		r.Permitted = vendorkit.MarkWarn
		r.Note("no user has risk events, so user detail (%s) could not be tried", c.piiNeed())
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

// piiNeed is what reading user detail takes, for this credential.
func (c *Client) piiNeed() string {
	if c.cred == CredGlobalKey {
		return fmt.Sprintf("a role for %s that reads Zero Trust PII", c.email)
	}
	return "'Zero Trust: PII Read'"
}

func orUnknown(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}
