// Package integrations is tab 5: where Cloudflare sends risk scores (Okta,
// over the Shared Signals Framework), created, edited and deleted here.
package integrations

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/form"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/list"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen is tab 5: where Cloudflare sends risk scores (Okta,
// over the Shared Signals Framework). n creates one, enter edits the
// selected one, d deletes it after a confirmation; the selected row's
// well-known URL is shown whole under the table and y copies it.
type Screen struct {
	c *uictx.Context
	l *list.Screen[actions.Integration]
	k keys
}

type keys struct {
	New, Edit, Delete, Copy, Export, ExportJSON key.Binding
}

// New is the Integrations tab; it reads the integrations when shown.
func New(c *uictx.Context) *Screen {
	s := &Screen{c: c, k: keys{
		New:        key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new integration")),
		Edit:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "edit")),
		Delete:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
		Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the well-known URL")),
		Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export CSV")),
		ExportJSON: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export JSON")),
	}}
	cols := []table.Column{
		{Title: "Type", Width: 6},
		{Title: "Active", Width: 6},
		{Title: "Tenant", Flex: 2, Min: 14},
		{Title: "Reference", Flex: 1, Min: 8},
		{Title: "Created", Width: 10},
		{Title: "Well-known URL", Flex: 3, Min: 12},
	}
	s.l = list.New(c, "Cloudflare risk integrations", "no integrations: Cloudflare sends risk to no identity provider", cols,
		list.ServiceRead(c, uictx.Actions.Integrations, func(ins []actions.Integration) string {
			return words.Plural(len(ins), "integration")
		}), func(in actions.Integration) table.Row {
			return table.Row{Cells: []string{in.IntegrationType, words.YesNo(in.Active), in.TenantURL, in.ReferenceID,
				in.CreatedAt.In(c.Loc).Format("2006-01-02"), in.WellKnownURL}}
		})
	s.l.Ident = func(in actions.Integration) (string, string) {
		return in.ID, "the integration with " + words.FirstNonEmpty(in.TenantURL, in.ID)
	}
	s.l.NoteLines = 3
	s.l.Note = s.note
	return s
}

// note is the selected integration's well-known URL, whole.
func (s *Screen) note() string {
	t := s.c.Theme
	in, ok := s.l.Selected()
	if !ok || in.WellKnownURL == "" {
		return t.Muted.Render("the well-known URL goes into Okta's shared-signals stream setup")
	}
	return t.Muted.Render("well-known URL (y copies it, for Okta's shared-signals stream setup):") + "\n" + in.WellKnownURL
}

func (s *Screen) Keys() []key.Binding {
	bs := s.c.ActionKeys(s.k.New, s.k.Edit, s.k.Delete)
	bs = append(bs, s.k.Copy, s.k.Export, s.k.ExportJSON)
	return append(bs, s.l.Keys()...)
}

func (s *Screen) Typing() bool      { return false }
func (s *Screen) Activate() tea.Cmd { return s.l.Activate() }

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		return s.onKey(k)
	}
	return s.l.Update(msg)
}

func (s *Screen) View(w, h int) string { return s.l.View(w, h) }

func (s *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	c := s.c
	switch {
	case key.Matches(msg, s.k.Copy):
		in, ok := s.l.Selected()
		if !ok || in.WellKnownURL == "" {
			return c.SayErr("no well-known URL to copy")
		}
		return c.CopyText(in.WellKnownURL)
	case key.Matches(msg, s.k.Export):
		return c.ExportTable("integrations", s.export(), export.CSV)
	case key.Matches(msg, s.k.ExportJSON):
		return c.ExportTable("integrations", s.export(), export.JSON)
	case key.Matches(msg, s.k.New, s.k.Edit, s.k.Delete):
		if c.ActionsOff() != "" {
			return c.Refused()
		}
		if !c.Actions.CanReset() {
			return c.SayErr("cannot change integrations: Cloudflare is not configured")
		}
	default:
		return s.l.Update(msg)
	}
	if key.Matches(msg, s.k.New) {
		return s.create()
	}
	in, ok := s.l.Selected()
	if !ok {
		return c.SayErr("no integration selected")
	}
	if key.Matches(msg, s.k.Edit) {
		return s.edit(in)
	}
	return s.remove(in)
}

// checkTenant is the tenant URL rule the Cloudflare client applies.
func checkTenant(f *form.Form) {
	v := strings.TrimSpace(f.Value("tenant"))
	u, err := url.Parse(v)
	switch {
	case v == "":
		f.SetProblem("tenant", "required: the Okta org URL, like https://tenant.okta.com")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		f.SetProblem("tenant", "must be an absolute URL, like https://tenant.okta.com")
	}
	if strings.ContainsAny(f.Value("reference"), "/?#") {
		f.SetProblem("reference", "an id, without / ? or #")
	}
}

func (s *Screen) create() tea.Cmd {
	c := s.c
	f := form.New(c, "New Cloudflare risk integration", "Create")
	f.Intro = []string{"Type: Okta. Cloudflare will send every user risk change to this Okta org over shared signals; Okta then needs the well-known URL in a stream of its own."}
	f.Text("tenant", "Tenant URL", "", "", 200)
	ref := f.Text("reference", "Reference id", "", "", 200)
	ref.Hint = "optional: the Access↔Okta IdP integration id"
	f.Check = checkTenant
	f.Send = func(f *form.Form) tea.Cmd {
		in := actions.IntegrationCreate{IntegrationType: actions.IntegrationTypeDefault,
			TenantURL: strings.TrimSpace(f.Value("tenant")), ReferenceID: strings.TrimSpace(f.Value("reference"))}
		return c.Act(f.ID(), "created the Okta integration for "+in.TenantURL, "not created", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			_, err := acts.CreateIntegration(ctx, who, in)
			return err
		}, func(err error) tea.Cmd {
			if err != nil {
				return nil
			}
			return tea.Batch(s.l.Activate(), c.ReloadOutbox())
		})
	}
	return c.OpenModal(f.Start())
}

func (s *Screen) edit(cur actions.Integration) tea.Cmd {
	c := s.c
	f := form.New(c, "Edit the integration with "+layout.Cut(cur.TenantURL, 40), "Save")
	f.Intro = []string{fmt.Sprintf("%s integration %s", cur.IntegrationType, cur.ID)}
	active := f.Choose("active", "Active", []string{"yes", "no"}, words.YesNo(cur.Active))
	active.Hint = "no: Cloudflare stops sending risk to this tenant until it is turned on again"
	f.Text("tenant", "Tenant URL", cur.TenantURL, "", 200)
	ref := f.Text("reference", "Reference id", cur.ReferenceID, "", 200)
	ref.Hint = "optional: the Access↔Okta IdP integration id"
	f.Check = checkTenant
	f.Send = func(f *form.Form) tea.Cmd {
		up := actions.IntegrationUpdate{Active: f.Value("active") == "yes",
			TenantURL: strings.TrimSpace(f.Value("tenant")), ReferenceID: strings.TrimSpace(f.Value("reference"))}
		return c.Act(f.ID(), "saved the integration with "+up.TenantURL, "not saved", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			_, err := acts.UpdateIntegration(ctx, who, cur.ID, up)
			return err
		}, func(err error) tea.Cmd {
			if err != nil {
				return nil
			}
			return tea.Batch(s.l.Activate(), c.ReloadOutbox())
		})
	}
	return c.OpenModal(f.Start())
}

func (s *Screen) remove(cur actions.Integration) tea.Cmd {
	c := s.c
	t := c.Theme
	lines := []string{
		"Delete the " + cur.IntegrationType + " integration with " + t.Bold.Render(cur.TenantURL) + "?",
		"",
		"Cloudflare stops sending risk scores to it: Okta no longer hears of risk changes or resets from Cloudflare, and policies there that use them stop seeing updates.",
		t.Muted.Render("Okta's stream for " + words.FirstNonEmpty(cur.WellKnownURL, cur.ID) + " stays until removed in Okta."),
	}
	d := dialog.New(c, "Delete an integration", "Delete", lines, nil)
	d.Run = func() tea.Cmd {
		return c.Act(d.ID(), "deleted the integration with "+cur.TenantURL, "not deleted", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			return acts.DeleteIntegration(ctx, who, cur.ID)
		}, func(err error) tea.Cmd { return tea.Batch(s.l.Activate(), c.ReloadOutbox()) })
	}
	return c.OpenModal(d)
}

func (s *Screen) export() export.Table {
	d := export.Table{Fields: []string{"id", "type", "active", "tenant_url", "reference_id", "created_at", "well_known_url"}}
	for _, in := range s.l.Items() {
		d.Rows = append(d.Rows, []any{in.ID, in.IntegrationType, in.Active, in.TenantURL, in.ReferenceID, export.TimeCell(in.CreatedAt), in.WellKnownURL})
	}
	return d
}
