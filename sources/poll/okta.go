package poll

import (
	"context"
	"net/http"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
)

// Okta is push-only: risktop sends IP risk, it reads none. Its poll checks,
// now and then, that the risk provider is registered and attributed, so the
// health line can say when pushes would be ignored.
type Okta struct {
	client *okta.Client
}

// NewOkta builds the source.
func NewOkta(c *okta.Client) *Okta { return &Okta{client: c} }

func (o *Okta) Name() string { return model.VendorOkta }

// RateLimit is the budget from the last response.
func (o *Okta) RateLimit() (httpx.RateLimit, bool) { return o.client.RateLimit() }

func (o *Okta) Poll(ctx context.Context) (string, error) {
	att, err := o.client.CheckProvider(ctx)
	if httpx.StatusOf(err) == http.StatusForbidden {
		// Reading providers needs okta.riskProviders.read, which a
		// push-only service app may rightly lack.
		return "push only; providers not readable (grant okta.riskProviders.read to check attribution)", nil
	}
	if err != nil {
		return "", err
	}
	if !att.OK() {
		return "", Warning("push only; " + att.Detail)
	}
	return "push only; " + att.Detail, nil
}
