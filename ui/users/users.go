// Package users is tab 3, one row per person merged across vendors by
// email, and a person's drill-down (their risk vendor by vendor), from
// which their risk is reset in the vendor the actions service resets in.
package users

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen is tab 3: one row per person merged across vendors.
type Screen struct {
	c   *uictx.Context
	k   keys
	tbl table.Model

	filterIn  textinput.Model
	filtering bool
	text      string
	sortBy    int // index into userSorts

	shown   []model.Person
	risen   int // how many of shown are marked as rising
	width   int
	height  int
	levels  [model.LevelCritical + 1]lipgloss.Style
	columns uictx.Vendors // the vendors with a column of levels, left to right
}

type keys struct {
	Open, Sort, Filter, Clear, Reset, PushRisk, Copy, Export, ExportJSON key.Binding
}

var userSorts = []string{"risk", "name", "last seen"}

// New is the Users tab, riskiest first.
func New(c *uictx.Context) *Screen {
	u := &Screen{
		c:       c,
		columns: c.Vendors.WithLevels(),
		k: keys{
			Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "drill down")),
			Sort:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort risk/name/seen")),
			Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "find")),
			Clear:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),

			Reset:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reset Cloudflare risk")),
			PushRisk:   key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "push their risk to Okta")),
			Copy:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy the email")),
			Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export CSV")),
			ExportJSON: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export JSON")),
		},
	}
	t := c.Theme
	styles := table.Styles{}
	if t != nil {
		styles = table.StylesFrom(t)
		for l := range u.levels {
			u.levels[l] = t.Level(model.Level(l))
		}
	}
	cols := []table.Column{
		{Title: "Risk", Width: len("Risk")}, // widened by rebuild
		{Title: "Name", Flex: 3, Min: 12},
		{Title: "Email", Flex: 3, Min: 12},
		{Title: "Sources", Width: 12},
	}
	for _, v := range u.columns {
		cols = append(cols, table.Column{Title: v.Column, Width: v.ColumnWidth})
	}
	cols = append(cols, table.Column{Title: "Seen", Width: 6, Align: table.AlignRight})
	u.tbl = table.New(styles, cols...)
	u.tbl.KeyMap = c.Nav
	u.tbl.SetEmptyMessage("no one yet: people appear as the sources report them")
	in := uictx.NewLine("/", uictx.FilterLimit)
	in.Placeholder = "part of a name or an email"
	if t != nil {
		in.PromptStyle, in.PlaceholderStyle = t.Key, t.Muted
	}
	u.filterIn = in
	return u
}

func (u *Screen) Keys() []key.Binding {
	if u.filtering {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}
	}
	bs := append([]key.Binding{u.k.Open}, u.c.ActionKeys(u.k.Reset, u.k.PushRisk)...)
	bs = append(bs, u.k.Sort, u.k.Filter, u.k.Clear, u.k.Copy, u.k.Export, u.k.ExportJSON)
	return append(bs, uictx.NavBindings(u.tbl.KeyMap)...)
}

func (u *Screen) Typing() bool { return u.filtering }

func (u *Screen) Input() *textinput.Model {
	if u.filtering {
		return &u.filterIn
	}
	return nil
}
func (u *Screen) Activate() tea.Cmd { u.rebuild(); return nil }

func (u *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case uictx.Resized:
		u.width, u.height = msg.W, msg.H
		u.tbl.SetSize(msg.W, max(msg.H-2, 2))
	case uictx.DataChanged:
		if msg.Users || msg.Health || msg.Risen {
			u.rebuild()
		}
	case tea.KeyMsg:
		return u.onKey(msg)
	}
	return nil
}

// rebuild recomputes the shown rows from the merged people; the table
// re-renders only rows whose text changed.
//
// The table keeps the cursor: on the first row until the operator moves
// it, then on the same person (rows are keyed by person), saying when
// their row moved.
func (u *Screen) rebuild() {
	needle := strings.ToLower(u.text)
	shown := make([]model.Person, 0, len(u.c.Data.People))
	for _, p := range u.c.Data.People {
		if needle == "" || strings.Contains(strings.ToLower(p.Name), needle) || strings.Contains(p.Email, needle) {
			shown = append(shown, p)
		}
	}
	switch userSorts[u.sortBy] {
	case "name":
		sort.SliceStable(shown, func(i, j int) bool { return strings.ToLower(display(shown[i])) < strings.ToLower(display(shown[j])) })
	case "last seen":
		sort.SliceStable(shown, func(i, j int) bool { return shown[i].LastSeen.After(shown[j].LastSeen) })
	} // "risk": Merge's order already
	u.shown = shown
	u.risen = 0
	for _, p := range shown {
		if _, ok := u.c.Data.Risen(p.Key); ok {
			u.risen++
		}
	}
	now := u.c.Now()
	rows := make([]table.Row, len(shown))
	riskW := len("Risk")
	for i, p := range shown {
		rows[i] = u.row(p, now)
		riskW = max(riskW, layout.Width(rows[i].Cells[0]))
	}
	u.tbl.SetRows(rows)
	// The risk column is as wide as its widest reading: "Critical" where
	// no vendor scores, "Critical (CASB 100)" where one does.
	if cols := u.tbl.Columns(); cols[0].Width != riskW {
		cols[0].Width = riskW
		u.tbl.SetColumns(cols...)
	}
}

func display(p model.Person) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// levelWith is p's highest level with vendor, LevelUnknown when it
// reports none.
func levelWith(p model.Person, vendor string) model.Level {
	l := model.LevelUnknown
	for _, v := range p.Views {
		if v.Vendor == vendor {
			l = model.Max(l, v.Level)
		}
	}
	return l
}

func (u *Screen) row(p model.Person, now time.Time) table.Row {
	var vendors []string
	for _, v := range u.c.Vendors.Of(p) {
		vendors = append(vendors, u.c.Vendors.Short(v))
	}
	seen := ""
	if !p.LastSeen.IsZero() {
		seen = words.Coarse(now.Sub(p.LastSeen))
	}
	lv := &u.levels[max(p.Level, 0)]
	cells := append(make([]string, 0, 5+len(u.columns)), u.reading(p), p.Name, p.Email, strings.Join(vendors, " "))
	styles := append(make([]*lipgloss.Style, 0, 4+len(u.columns)), lv, nil, nil, nil)
	for _, c := range u.columns {
		l := levelWith(p, c.Name)
		cells = append(cells, dashIfUnknown(l))
		styles = append(styles, &u.levels[max(l, 0)])
	}
	return table.Row{Cells: append(cells, seen), Styles: styles, Key: p.Key, Label: display(p)}
}

// risk is a person's level with the score of the vendor that gives it
// (model.Person.Reading), named by name(vendor): the Overview's
// "Riskiest people" and the exports say it the same way.
func risk(p model.Person, name func(string) string) string {
	if v, ok := p.Reading(); ok {
		return p.Level.Describe(name(v.Vendor), v.Score)
	}
	return p.Level.Label()
}

func dashIfUnknown(l model.Level) string {
	if l == model.LevelUnknown {
		return "–"
	}
	return l.Label()
}

func (u *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	if u.filtering {
		switch msg.Type {
		case tea.KeyEnter, tea.KeyEsc:
			u.filtering = false
			u.filterIn.Blur()
			if msg.Type == tea.KeyEnter {
				u.text = strings.TrimSpace(u.filterIn.Value())
				u.rebuild()
				u.tbl.Top()
			} else {
				u.filterIn.SetValue(u.text)
			}
			return nil
		}
		var cmd tea.Cmd
		u.filterIn, cmd = u.filterIn.Update(msg)
		return cmd
	}
	switch {
	case u.tbl.KeyMap.Matches(msg):
		u.tbl, _ = u.tbl.Update(msg)
	case key.Matches(msg, u.k.Sort):
		u.sortBy = (u.sortBy + 1) % len(userSorts)
		u.rebuild()
		u.tbl.Top()
	case key.Matches(msg, u.k.Filter):
		u.filtering = true
		u.filterIn.SetValue(u.text)
		return u.filterIn.Focus()
	case key.Matches(msg, u.k.Clear):
		if u.text != "" {
			u.text = ""
			u.filterIn.SetValue("")
			u.rebuild()
		}
	case key.Matches(msg, u.k.Open):
		if i := u.tbl.Cursor(); i >= 0 && i < len(u.shown) {
			return u.c.OpenUser(u.shown[i].Key)
		}
	case key.Matches(msg, u.k.Reset):
		if u.c.ActionsOff() != "" {
			return u.c.Refused()
		}
		if i := u.tbl.Cursor(); i >= 0 && i < len(u.shown) {
			return resetPerson(u.c, u.shown[i], true)
		}
		return u.c.SayErr("no one selected")
	case key.Matches(msg, u.k.PushRisk):
		if u.c.ActionsOff() != "" {
			return u.c.Refused()
		}
		if i := u.tbl.Cursor(); i >= 0 && i < len(u.shown) {
			return pushPersonRisk(u.c, u.shown[i])
		}
		return u.c.SayErr("no one selected")
	case key.Matches(msg, u.k.Copy):
		if i := u.tbl.Cursor(); i >= 0 && i < len(u.shown) {
			if u.shown[i].Email == "" {
				return u.c.SayErr(display(u.shown[i]) + " has no known email")
			}
			return u.c.CopyText(u.shown[i].Email)
		}
	case key.Matches(msg, u.k.Export):
		return u.c.ExportTable("users", u.exportRows(), export.CSV)
	case key.Matches(msg, u.k.ExportJSON):
		return u.c.ExportTable("users", u.exportRows(), export.JSON)
	}
	return nil
}

func (u *Screen) View(w, h int) string {
	t := u.c.Theme
	people := fmt.Sprintf("%s people", words.Thousands(len(u.shown)))
	if len(u.shown) == 1 {
		people = "1 person"
	}
	status := t.Bold.Render(people) + t.Muted.Render(" · merged across vendors by email · sorted by "+userSorts[u.sortBy])
	if u.text != "" {
		status += t.Muted.Render(fmt.Sprintf(" · matching %q", u.text))
	}
	if n := u.tbl.Above(); n > 0 {
		status = table.Beside(status, t.Muted.Render("↑ "+words.Thousands(n)+" more"), w)
	}
	bottom := t.Muted.Render("enter opens a person · / finds by name or email")
	if u.risen > 0 {
		bottom = t.Muted.Render("enter opens a person · / finds · ↑ rising: in a live alert, or up in the last hour")
	}
	if d := u.tbl.Drift(); !d.Zero() {
		why := "as scores changed"
		if userSorts[u.sortBy] != "risk" {
			why = "as people came and went"
		}
		bottom = t.Warn.Render(d.Text(why))
	}
	if n := u.tbl.Below(); n > 0 {
		bottom = table.Beside(bottom, t.Muted.Render("↓ "+words.Thousands(n)+" more"), w)
	}
	if u.filtering {
		u.filterIn.Width = max(w-2, 10)
		bottom = u.filterIn.View()
	}
	return layout.Block(status+"\n"+u.tbl.View()+"\n"+bottom, w, h)
}

// exportRows are the people shown (filter and sort applied).
func (u *Screen) exportRows() export.Table {
	fields := []string{"risk", "level", "score", "name", "email", "sources"}
	for _, v := range u.columns {
		fields = append(fields, v.Name+"_level")
	}
	d := export.Table{Fields: append(fields, "last_seen"), Filter: u.text, Sort: "by " + userSorts[u.sortBy]}
	for _, p := range u.shown {
		var score any
		if p.Score >= 0 {
			score = p.Score
		}
		vendors := u.c.Vendors.Of(p)
		sort.Strings(vendors)
		row := []any{risk(p, u.c.Vendors.Display), p.Level.Label(), score, p.Name, p.Email, strings.Join(vendors, " ")}
		for _, c := range u.columns {
			row = append(row, levelCell(levelWith(p, c.Name)))
		}
		d.Rows = append(d.Rows, append(row, export.TimeCell(p.LastSeen)))
	}
	return d
}

func levelCell(l model.Level) any {
	if l == model.LevelUnknown {
		return nil
	}
	return l.Label()
}
