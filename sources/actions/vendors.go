package actions

import (
	"context"

	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/vendorkit"
)

// The vendors operator actions reach: IP risk is pushed to one, a
// person's risk is reset in another.
var (
	PushTo  = okta.Vendor
	ResetIn = cloudflare.Vendor
)

// PushesMayNameDocumentationRanges reports whether PushTo's section lets
// pushes name the documentation ranges (a simulator's tenant).
func PushesMayNameDocumentationRanges(s *vendorkit.Section) bool {
	return okta.AllowsDocumentationRanges(s)
}

// Clients are the clients the actions service acts through. A vendor
// that is not configured is nil.
type Clients struct {
	Cloudflare *cloudflare.Client
	Okta       *okta.Client
}

// ClientsOf picks them from the configured vendors' clients, by name.
func ClientsOf(byName map[string]any) Clients {
	var c Clients
	c.Cloudflare, _ = byName[ResetIn.Name].(*cloudflare.Client)
	c.Okta, _ = byName[PushTo.Name].(*okta.Client)
	return c
}

// ActionsOptions are o acting through c.
func (c Clients) ActionsOptions(o Options) Options {
	o.Cloudflare, o.Okta = c.Cloudflare, c.Okta
	return o
}

// ErrNothingToReset says the person ResetTarget looked for has no risk to
// reset.
var ErrNothingToReset = cloudflare.ErrNotInSummary

// ResetTarget looks who (an email or a user id) up where resets happen.
func (c Clients) ResetTarget(ctx context.Context, who string) (ResetTarget, error) {
	u, err := c.Cloudflare.FindPerson(ctx, who)
	if err != nil {
		return ResetTarget{}, err
	}
	return ResetTarget{UserID: u.UserID, Email: u.Email, Name: u.Name, Level: cloudflare.LevelOf(string(u.MaxRiskLevel))}, nil
}
