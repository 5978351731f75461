package users

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/ui/uictx"
)

// PushRisk opens the confirmation the Users tab's O opens: p's risk
// pushed to Okta. p is taken as it is now; an alert's suggested response
// (push_person) comes here through the dashboard.
func PushRisk(c *uictx.Context, p model.Person) tea.Cmd { return pushPersonRisk(c, p) }

// Reset opens the confirmation the Users tab's R opens: p's risk reset
// in the vendor resets happen in (an alert's reset_cloudflare response).
func Reset(c *uictx.Context, p model.Person) tea.Cmd { return resetPerson(c, p, true) }

// reading is the row's risk: the person's level with the score that gives
// it, marked "↑" when they are rising (in a live alert's evidence, or up
// in the last hour): "↑ High (was Medium)", or with the vendor where the
// rise is not their level's: "↑ Critical (CASB 100) (CF Low→Medium)".
func (u *Screen) reading(p model.Person) string {
	r, ok := u.c.Data.Risen(p.Key)
	if !ok {
		return risk(p, u.c.Vendors.Short)
	}
	switch {
	case r.To == model.LevelUnknown: // only an alert names them
		return "↑ " + risk(p, u.c.Vendors.Short)
	case r.To == p.Level:
		return "↑ " + p.Level.Label() + " (was " + r.From.Label() + ")"
	}
	return "↑ " + risk(p, u.c.Vendors.Short) + " (" + u.c.Vendors.Short(r.Vendor) + " " + r.From.Label() + "→" + r.To.Label() + ")"
}
