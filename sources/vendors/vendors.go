// Package vendors is the one list of the vendors risktop speaks to.
// Adding a vendor is its package (client and vendorkit.Descriptor) and one
// line in All.
package vendors

import (
	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/vendorkit"
)

// All are the vendors in the order config messages, the header and
// `risktop check` list them.
var All = []vendorkit.Descriptor{
	onelogin.Vendor,
	casb.Vendor,
	cloudflare.Vendor,
	okta.Vendor,
}

// Names are the vendors' names, in All's order.
func Names() []string {
	out := make([]string, len(All))
	for i, d := range All {
		out[i] = d.Name
	}
	return out
}

// Infos are the vendors' Infos, in All's order: what the dashboard shows
// them by (ui.Deps.Vendors).
func Infos() []vendorkit.Info {
	out := make([]vendorkit.Info, len(All))
	for i, d := range All {
		out[i] = d.Info
	}
	return out
}
