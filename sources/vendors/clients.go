package vendors

import (
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/okta"
)

// Clients are the clients the actions service acts through — a person's
// risk is reset in Cloudflare, IP risk is pushed to Okta — and the
// dashboard reads on demand until it reads through actions. A vendor that
// is not configured is nil.
type Clients struct {
	Cloudflare *cloudflare.Client
	Okta       *okta.Client
}

// ClientsOf picks them from the configured vendors' clients, by name.
func ClientsOf(byName map[string]any) Clients {
	var c Clients
	c.Cloudflare, _ = byName[cloudflare.Vendor.Name].(*cloudflare.Client)
	c.Okta, _ = byName[okta.Vendor.Name].(*okta.Client)
	return c
}

// ActionsOptions are o acting through c.
func (c Clients) ActionsOptions(o actions.Options) actions.Options {
	o.Cloudflare, o.Okta = c.Cloudflare, c.Okta
	return o
}
