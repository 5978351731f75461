package users

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// oktaLink is the answer to "does Cloudflare send risk to Okta?".
type oktaLink struct {
	modal  int
	linked bool
	err    error
}

// resetPerson opens the confirmation of a reset of p's Cloudflare risk.
func resetPerson(c *uictx.Context, p model.Person, known bool) tea.Cmd {
	if off := c.ActionsOff(); off != "" {
		return c.Refused()
	}
	who := display(p)
	if !known {
		return c.SayErr("cannot reset " + who + ": no vendor reports a risk for them")
	}
	if !c.Actions.CanReset() {
		return c.SayErr("cannot reset: Cloudflare is not configured")
	}
	var cf *model.View
	for i, v := range p.Views {
		if v.Vendor == model.VendorCloudflare && v.UserID != "" {
			cf = &p.Views[i]
		}
	}
	if cf == nil {
		return c.SayErr("cannot reset " + who + ": they have no Cloudflare user id (Cloudflare's risk table does not list them)")
	}
	target := actions.ResetTarget{UserID: cf.UserID, Email: words.FirstNonEmpty(cf.Email, p.Email), Name: words.FirstNonEmpty(cf.Name, p.Name), Level: cf.Level}
	d := dialog.New(c, "Reset Cloudflare risk", "Reset", nil, nil)
	d.Lines = resetLines(c.Theme, target, nil, nil)
	d.Run = func() tea.Cmd {
		ok := "reset requested for " + personLabel(target.Name, target.Email) + "; the row updates on the next poll"
		return c.Act(d.ID(), ok, "reset failed", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			return acts.ResetUser(ctx, who, target)
		}, func(err error) tea.Cmd {
			if err == nil {
				c.Ask(uictx.SourcePoll{Source: model.VendorCloudflare})
			}
			return c.ReloadOutbox()
		})
	}
	d.Follow = func(d *dialog.Dialog, msg tea.Msg) tea.Cmd {
		if m, ok := msg.(oktaLink); ok && m.modal == d.ID() {
			d.Lines = resetLines(c.Theme, target, &m.linked, m.err)
		}
		return nil
	}
	acts, ctx, id := c.Actions, c.Ctx, d.ID()
	return tea.Batch(c.OpenModal(d), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		linked, err := acts.OktaLinked(ctx)
		return oktaLink{modal: id, linked: linked, err: err}
	})
}

// resetLines say whom a reset touches and what it does. linked is nil
// while the Okta link is being checked.
func resetLines(th *theme.Theme, t actions.ResetTarget, linked *bool, err error) []string {
	level := "none reported"
	if t.Level > model.LevelUnknown {
		level = th.Level(t.Level).Render(t.Level.String())
	}
	okta := th.Muted.Render("checking the Okta link…")
	switch {
	case err != nil:
		okta = th.Warn.Render("Whether Cloudflare sends risk to Okta is not known (" + err.Error() + "): if it does, the reset reaches Okta too.")
	case linked != nil && *linked:
		okta = "Cloudflare sends risk scores to Okta (an active integration): the reset reaches Okta too."
	case linked != nil:
		okta = "No active Okta integration: Okta is not told of the reset."
	}
	return []string{
		th.Bold.Render(words.FirstNonEmpty(t.Name, t.Email)) + "  " + t.Email,
		"Cloudflare risk level now: " + level,
		"",
		"A reset clears their Cloudflare risk score and risk history; they leave the risk table until a behavior triggers again.",
		"Access policies that use the user risk score re-evaluate them, so what they can reach may change.",
		okta,
	}
}

func personLabel(name, email string) string {
	switch {
	case name == "":
		return email
	case email == "":
		return name
	}
	return name + " (" + email + ")"
}
