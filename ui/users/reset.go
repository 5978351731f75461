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

// forwarded is the answer to "does a reset reach the vendor IP risk is
// pushed to as well?" (does Cloudflare send risk to Okta?).
type forwarded struct {
	modal  int
	linked bool
	err    error
}

// resetPerson opens the confirmation of a reset of p's risk in the vendor
// the actions service resets in (Cloudflare).
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
	in := c.Actions.ResetsIn()
	var there *model.View // the person's view in the vendor resets happen in
	for i, v := range p.Views {
		if v.Vendor == in && v.UserID != "" {
			there = &p.Views[i]
		}
	}
	if there == nil {
		return c.SayErr("cannot reset " + who + ": they have no Cloudflare user id (Cloudflare's risk table does not list them)")
	}
	target := actions.ResetTarget{UserID: there.UserID, Email: words.FirstNonEmpty(there.Email, p.Email), Name: words.FirstNonEmpty(there.Name, p.Name), Level: there.Level}
	d := dialog.New(c, "Reset Cloudflare risk", "Reset", nil, nil)
	d.Lines = resetLines(c.Theme, target, nil, nil)
	d.Run = func() tea.Cmd {
		ok := "reset requested for " + personLabel(target.Name, target.Email) + "; the row updates on the next poll"
		return c.Act(d.ID(), ok, "reset failed", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			return acts.ResetUser(ctx, who, target)
		}, func(err error) tea.Cmd {
			if err == nil {
				c.Ask(uictx.SourcePoll{Source: in})
			}
			return c.ReloadOutbox()
		})
	}
	d.Follow = func(d *dialog.Dialog, msg tea.Msg) tea.Cmd {
		if m, ok := msg.(forwarded); ok && m.modal == d.ID() {
			d.Lines = resetLines(c.Theme, target, &m.linked, m.err)
		}
		return nil
	}
	acts, ctx, id := c.Actions, c.Ctx, d.ID()
	return tea.Batch(c.OpenModal(d), func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		linked, err := acts.ResetsForwarded(ctx)
		return forwarded{modal: id, linked: linked, err: err}
	})
}

// resetLines say whom a reset touches and what it does. linked is nil
// while the link to the vendor pushes go to is being checked.
func resetLines(th *theme.Theme, t actions.ResetTarget, linked *bool, err error) []string {
	level := "none reported"
	if t.Level > model.LevelUnknown {
		level = th.Level(t.Level).Render(t.Level.Label())
	}
	link := th.Muted.Render("checking the Okta link…")
	switch {
	case err != nil:
		link = th.Warn.Render("Whether Cloudflare sends risk to Okta is not known (" + err.Error() + "): if it does, the reset reaches Okta too.")
	case linked != nil && *linked:
		link = "Cloudflare sends risk scores to Okta (an active integration): the reset reaches Okta too."
	case linked != nil:
		link = "No active Okta integration: Okta is not told of the reset."
	}
	return []string{
		th.Bold.Render(words.FirstNonEmpty(t.Name, t.Email)) + "  " + t.Email,
		"Cloudflare risk level now: " + level,
		"",
		"A reset clears their Cloudflare risk score and risk history; they leave the risk table until a behavior triggers again.",
		"Access policies that use the user risk score re-evaluate them, so what they can reach may change.",
		link,
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
