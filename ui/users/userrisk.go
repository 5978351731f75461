package users

import (
	"context"
	"fmt"

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
		ctx, acts, actor, modal := c.Ctx, c.Actions, c.Actor, d.ID()
		label := personLabel(target.Name, target.Email)
		after := func(error) tea.Cmd { return c.ReloadOutbox() }
		return func() tea.Msg {
			ctx, cancel := context.WithTimeout(ctx, uictx.ActionTimeout)
			defer cancel()
			o, err := acts.PushUserRisk(ctx, actor, target)
			ok := fmt.Sprintf("queued %s's risk for Okta as %s (outbox #%d)", label, actions.UserRiskLevel(target.Level), o.ID)
			if err == nil && !o.Queued {
				ok = fmt.Sprintf("%s's risk not queued again: %s", label, o.Reason())
			}
			return uictx.ActionDone{Modal: modal, OK: ok, Fail: "not queued", Err: err, After: after}
		}
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
		"It is queued in the outbox and sent within Okta's rate limit; the Outbox tab shows it.",
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
