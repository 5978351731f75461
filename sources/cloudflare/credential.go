package cloudflare

import (
	"context"
	"net/http"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// TokenStatus is GET /user/tokens/verify's result: "Test whether a token
// works", status one of active, disabled, expired
// (https://developers.cloudflare.com/api/go/resources/user/subresources/tokens/methods/verify;
// the troubleshooting page runs the same call and looks for "status":
// "active": https://developers.cloudflare.com/fundamentals/api/troubleshooting).
// Account-owned tokens verify at GET /accounts/{account_id}/tokens/verify
// (https://developers.cloudflare.com/api/go/resources/accounts/subresources/tokens/methods/verify).
type TokenStatus struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	ExpiresOn *time.Time `json:"expires_on,omitempty"`
	NotBefore *time.Time `json:"not_before,omitempty"`
}

const hintVerify = "the API token is not valid; create a new one under My Profile → API Tokens (or Manage Account → API Tokens for an account-owned token)"

// VerifyToken asks Cloudflare whether the API token works: first as a user
// token, then, when that is refused, as a token owned by the account.
// It says nothing of the token's permissions; the calls that need them do.
func (c *Client) VerifyToken(ctx context.Context) (*TokenStatus, error) {
	env, err := send[TokenStatus](ctx, c, call{method: http.MethodGet, root: []string{"user", "tokens", "verify"}, hint403: hintVerify})
	if err != nil {
		env2, err2 := send[TokenStatus](ctx, c, call{method: http.MethodGet, root: []string{"accounts", c.account, "tokens", "verify"}, hint403: hintVerify})
		if err2 != nil {
			return nil, err // the user-token answer is the one to show
		}
		env = env2
	}
	st := env.Result
	sanitize.Struct(&st)
	return &st, nil
}

// Me is GET /user: who a Global API Key acts as. The key authenticates as
// its user and "has the exact same permissions as the user"
// (https://developers.cloudflare.com/fundamentals/api/get-started/keys).
type Me struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// Me asks who the credential acts as (User Details,
// https://developers.cloudflare.com/api/resources/user/methods/get).
func (c *Client) Me(ctx context.Context) (*Me, error) {
	env, err := send[Me](ctx, c, call{method: http.MethodGet, root: []string{"user"}})
	if err != nil {
		return nil, err
	}
	me := env.Result
	sanitize.Struct(&me)
	return &me, nil
}
