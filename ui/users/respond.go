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
