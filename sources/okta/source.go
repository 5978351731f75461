package okta

import (
	"context"
	"errors"
	"net/http"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/poll"
)

// Source is Okta's, which is push-only: risktop sends IP risk, it reads
// none. Its poll checks, now and then, that the risk provider is
// registered and attributed, so the health line can say when pushes would
// be ignored.
type Source struct {
	client *Client
}

// NewSource builds the source.
func NewSource(c *Client) *Source { return &Source{client: c} }

func (o *Source) Name() string { return vendorName }

// RateLimit is the budget from the last response.
func (o *Source) RateLimit() (httpx.RateLimit, bool) { return o.client.RateLimit() }

func (o *Source) Poll(ctx context.Context) (string, error) {
	att, err := o.client.CheckProvider(ctx)
	if errors.Is(err, ErrNoReadCredential) {
		// With push: ssf the SETs are the credential: nothing to read
		// the org with is a choice, not a fault.
		return "push only over SSF; no API credential configured, so the Security Events Provider is not checked", nil
	}
	if httpx.StatusOf(err) == http.StatusForbidden {
		// Reading providers needs okta.riskProviders.read, which a
		// push-only service app may rightly lack.
		return "push only; providers not readable (grant okta.riskProviders.read to check attribution)", nil
	}
	if err != nil {
		return "", err
	}
	if !att.OK() {
		return "", poll.Warning("push only; " + att.Detail)
	}
	return "push only; " + att.Detail, nil
}
