package users

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// pushPersonRisk opens the confirmation of pushing p's risk, as the other
// vendors rate it, to Okta (a user-risk-change over the Shared Signals
// Framework): a cross-vendor response no vendor console offers. The
// target (who, the level, whose rating) is taken now, at the key press;
// data arriving while the dialog is open changes none of it.
func pushPersonRisk(c *uictx.Context, p model.Person) tea.Cmd {
	if off := c.ActionsOff(); off != "" {
		return c.Refused()
	}
	who := display(p)
	if !c.Actions.CanPushUserRisk() {
		return c.SayErr("cannot push " + who + "'s risk: a person's risk goes to Okta only over the Shared Signals Framework (push: ssf in the okta section)")
	}
	if p.Email == "" {
		return c.SayErr("cannot push " + who + "'s risk: Okta names a person by email, and no vendor gave theirs")
	}
	if p.Level <= model.LevelNone {
		return c.SayErr("cannot push " + who + "'s risk: no vendor rates them above none")
	}
	source := ""
	for _, v := range p.Views {
		if v.Level == p.Level {
			source = v.Vendor
			break
		}
	}
	target := actions.UserRiskTarget{Email: p.Email, Name: p.Name, Level: p.Level, Source: source}
	d := dialog.New(c, "Push a person's risk to Okta", "Push", nil, nil)
	d.Lines = userRiskLines(c, target)
	d.Run = func() tea.Cmd {
		ok := "pushed " + personLabel(target.Name, target.Email) + "'s risk to Okta as " + string(actions.UserRiskLevel(target.Level))
		return c.Act(d.ID(), ok, "push failed", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			return acts.PushUserRisk(ctx, who, target)
		}, func(error) tea.Cmd { return c.ReloadOutbox() })
	}
	return c.OpenModal(d)
}

// userRiskLines say whom the push names, at what level and why.
func userRiskLines(c *uictx.Context, t actions.UserRiskTarget) []string {
	th := c.Theme
	rated := "their level across vendors"
	if t.Source != "" {
		rated = "as " + c.Vendors.Display(t.Source) + " rates them"
	}
	return []string{
		th.Bold.Render(words.FirstNonEmpty(t.Name, t.Email)) + "  " + t.Email,
		"Risk: " + levelText(th, t.Level) + " (" + rated + "), sent as Okta's " + th.Bold.Render(string(actions.UserRiskLevel(t.Level))) + scaleNote(t.Level),
		"",
		"Okta receives a user-risk-change for them (a signed Security Event Token); policies that use Okta's user risk apply it at their next sign-in.",
		"It is sent now and written to the audit log; a failed push is not retried.",
	}
}

func levelText(th *theme.Theme, l model.Level) string { return th.Level(l).Render(l.Label()) }

// scaleNote says where the receiving vendor's scale differs from ours.
func scaleNote(l model.Level) string {
	if l == model.LevelCritical {
		return " (Okta's scale stops at high)"
	}
	return ""
}
