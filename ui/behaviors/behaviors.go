// Package behaviors is tab 4: Cloudflare's risk behaviors, changed here
// and saved after a review of the diff.
package behaviors

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/ui/dialog"
	"github.com/risktop/risktop/ui/export"
	"github.com/risktop/risktop/ui/list"
	"github.com/risktop/risktop/ui/table"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen is tab 4: Cloudflare's risk behaviors. Space toggles the
// selected one on or off and ←/→ (h/l) cycle its risk level; the changes
// stay pending, marked, until s shows their diff and saves them (a PUT of
// the full map) or u undoes them. A failed save keeps them on screen.
type Screen struct {
	c       *uictx.Context
	l       *list.Screen[actions.Behavior]
	k       keys
	pending map[string]behaviorEdit // by behavior key: the values wanted
	saveErr string                  // why the last save failed
	levels  [model.LevelCritical + 1]lipgloss.Style
	changed lipgloss.Style
}

// behaviorEdit is a behavior's wanted state.
type behaviorEdit struct {
	enabled bool
	level   string
}

type keys struct {
	Toggle, Lower, Raise, Save, Undo, Export, ExportJSON key.Binding
}

var behaviorLevels = []string{"low", "medium", "high"}

// New is the Behaviors tab; it reads the behaviors when shown.
func New(c *uictx.Context) *Screen {
	b := &Screen{c: c, pending: map[string]behaviorEdit{}, k: keys{
		Toggle:     key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "enable / disable")),
		Lower:      key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "risk level")),
		Raise:      key.NewBinding(key.WithKeys("right", "l")),
		Save:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "review and save")),
		Undo:       key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo the changes")),
		Export:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export CSV")),
		ExportJSON: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export JSON")),
	}}
	if t := c.Theme; t != nil {
		for i := range b.levels {
			b.levels[i] = t.Level(model.Level(i))
		}
		b.changed = t.Changed
	}
	cols := []table.Column{
		{Title: "", Width: 1},
		{Title: "Behavior", Flex: 2, Min: 14},
		{Title: "Key", Width: 20, Min: 10},
		{Title: "Enabled", Width: 7},
		{Title: "Level", Width: 6},
		{Title: "Description", Flex: 4, Min: 10},
	}
	b.l = list.New(c, "Cloudflare risk behaviors", "no behaviors", cols,
		list.ServiceRead(c, uictx.Actions.Behaviors, func(bs []actions.Behavior) string {
			enabled := 0
			for _, x := range bs {
				if x.Enabled {
					enabled++
				}
			}
			return fmt.Sprintf("%d of %d enabled", enabled, len(bs))
		}),
		b.row)
	b.l.Note = b.note
	b.l.Ident = func(x actions.Behavior) (string, string) { return x.Key, words.FirstNonEmpty(x.Name, x.Key) }
	return b
}

// row draws a behavior as it would be saved: pending values in the
// changed style, with a mark in the first column.
func (b *Screen) row(x actions.Behavior) table.Row {
	want, edited := b.pending[x.Key]
	on, lv := x.Enabled, x.RiskLevel
	if edited {
		on, lv = want.enabled, want.level
	}
	styles := []*lipgloss.Style{nil, nil, nil, nil, &b.levels[actions.LevelOf(lv)]}
	mark := ""
	if edited {
		mark = "*"
		styles[0] = &b.changed
		if on != x.Enabled {
			styles[3] = &b.changed
		}
		if lv != x.RiskLevel {
			styles[4] = &b.changed
		}
	}
	return table.Row{Cells: []string{mark, x.Name, x.Key, words.YesNo(on), lv, x.Description}, Styles: styles}
}

func (b *Screen) note() string {
	t := b.c.Theme
	if b.saveErr != "" {
		return t.Error.Render("not saved: " + b.saveErr + " — the changes are still pending (s to try again, u to undo)")
	}
	if b.c.ActionsOff() != "" {
		return t.Muted.Render("behaviors are changed here when actions are on")
	}
	return t.Muted.Render("space enables or disables · ←/→ the risk level · * marks a change · s reviews and saves")
}

func (b *Screen) Keys() []key.Binding {
	bs := b.c.ActionKeys(b.k.Toggle, b.k.Lower, b.k.Save, b.k.Undo)
	bs = append(bs, b.k.Export, b.k.ExportJSON)
	return append(bs, b.l.Keys()...)
}

func (b *Screen) Typing() bool      { return false }
func (b *Screen) Activate() tea.Cmd { return b.l.Activate() }

// claims takes space for toggling while actions are on; otherwise it
// keeps its global meaning (pause).
func (b *Screen) Claims(msg tea.KeyMsg) bool {
	return key.Matches(msg, b.k.Toggle) && b.c.ActionsOff() == ""
}

func (b *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case list.Loaded[actions.Behavior]:
		cmd := b.l.Update(msg)
		if msg.Succeeded(b.l) {
			b.settle()
		}
		return cmd
	case tea.KeyMsg:
		return b.onKey(msg)
	}
	return b.l.Update(msg)
}

// settle drops pending values the behaviors now have anyway (a reload
// after a save, or someone else's change) and redraws.
func (b *Screen) settle() {
	for _, x := range b.l.Items() {
		if w, ok := b.pending[x.Key]; ok && w.enabled == x.Enabled && w.level == x.RiskLevel {
			delete(b.pending, x.Key)
		}
	}
	b.l.Redraw()
}

func (b *Screen) onKey(msg tea.KeyMsg) tea.Cmd {
	c := b.c
	switch {
	case key.Matches(msg, b.k.Export):
		return c.ExportTable("behaviors", b.export(), export.CSV)
	case key.Matches(msg, b.k.ExportJSON):
		return c.ExportTable("behaviors", b.export(), export.JSON)
	case key.Matches(msg, b.k.Toggle, b.k.Lower, b.k.Raise, b.k.Save, b.k.Undo):
		if c.ActionsOff() != "" {
			return c.Refused()
		}
	default:
		return b.l.Update(msg)
	}
	x, ok := b.l.Selected()
	switch {
	case key.Matches(msg, b.k.Save):
		return b.review()
	case key.Matches(msg, b.k.Undo):
		n := len(b.pending)
		if n == 0 {
			return c.Say("no changes to undo")
		}
		clear(b.pending)
		b.saveErr = ""
		b.l.Redraw()
		return c.Say("undid " + words.Plural(n, "change"))
	case !ok:
		return c.SayErr("no behavior selected")
	}
	want, edited := b.pending[x.Key]
	if !edited {
		want = behaviorEdit{enabled: x.Enabled, level: x.RiskLevel}
	}
	switch {
	case key.Matches(msg, b.k.Toggle):
		want.enabled = !want.enabled
	default:
		i := 0
		for j, l := range behaviorLevels {
			if l == want.level {
				i = j
			}
		}
		n := len(behaviorLevels)
		if key.Matches(msg, b.k.Lower) {
			i = (i + n - 1) % n
		} else {
			i = (i + 1) % n
		}
		want.level = behaviorLevels[i]
	}
	if want.enabled == x.Enabled && want.level == x.RiskLevel {
		delete(b.pending, x.Key)
	} else {
		b.pending[x.Key] = want
	}
	b.l.Redraw()
	return nil
}

// diff is one line per pending change, in key order, and the changes to
// send: only what differs from the behavior as loaded.
func (b *Screen) diff() ([]string, map[string]actions.BehaviorChange) {
	var lines []string
	changes := map[string]actions.BehaviorChange{}
	keys := make([]string, 0, len(b.pending))
	for k := range b.pending {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byKey := map[string]actions.Behavior{}
	for _, x := range b.l.Items() {
		byKey[x.Key] = x
	}
	for _, k := range keys {
		x, ok := byKey[k]
		if !ok {
			continue // gone since: nothing to change
		}
		w := b.pending[k]
		var parts []string
		var c actions.BehaviorChange
		if w.enabled != x.Enabled {
			on := w.enabled
			c.Enabled = &on
			parts = append(parts, fmt.Sprintf("enabled %s → %s", words.YesNo(x.Enabled), words.YesNo(w.enabled)))
		}
		if w.level != x.RiskLevel {
			c.RiskLevel = w.level
			parts = append(parts, fmt.Sprintf("level %s → %s", x.RiskLevel, w.level))
		}
		if len(parts) == 0 {
			continue
		}
		changes[k] = c
		lines = append(lines, k+"  "+strings.Join(parts, " · "))
	}
	return lines, changes
}

// review shows the diff in a dialog whose Save sends exactly those changes.
func (b *Screen) review() tea.Cmd {
	c := b.c
	lines, changes := b.diff()
	if len(changes) == 0 {
		return c.Say("no changes to save")
	}
	if c.Actions != nil && !c.Actions.CanReset() {
		return c.SayErr("cannot save: Cloudflare is not configured")
	}
	t := c.Theme
	body := []string{fmt.Sprintf("Save %s to Cloudflare's risk behaviors?", words.Plural(len(changes), "change")), ""}
	for _, l := range lines {
		body = append(body, t.Bold.Render(l))
	}
	body = append(body, "",
		"Cloudflare evaluates every user against the enabled behaviors continuously; disabling one stops new detections, past ones stay.",
		t.Muted.Render("Saved as a full-map PUT: every behavior is sent, these with their new values."))
	d := dialog.New(c, "Save behavior changes", "Save", body, nil)
	d.Run = func() tea.Cmd {
		n := len(changes)
		return c.Act(d.ID(), "saved "+words.Plural(n, "behavior change"), "not saved", func(ctx context.Context, acts uictx.Actions, who actions.Actor) error {
			_, err := acts.SaveBehaviors(ctx, who, changes)
			return err
		}, func(err error) tea.Cmd {
			if err != nil {
				b.saveErr = err.Error()
				b.l.Touch()
				return nil
			}
			b.saveErr = ""
			clear(b.pending)
			b.l.Redraw()
			return b.l.Activate()
		})
	}
	return c.OpenModal(d)
}

func (b *Screen) View(w, h int) string {
	extra := ""
	if n := len(b.pending); n > 0 {
		extra = b.c.Theme.Muted.Render(" · ") + b.c.Theme.Changed.Render(words.Plural(n, "unsaved change"))
	}
	return b.l.ViewWith(w, h, extra)
}

func (b *Screen) export() export.Table {
	d := export.Table{Fields: []string{"key", "name", "enabled", "risk_level", "description"}}
	for _, x := range b.l.Items() {
		d.Rows = append(d.Rows, []any{x.Key, x.Name, x.Enabled, x.RiskLevel, x.Description})
	}
	return d
}
