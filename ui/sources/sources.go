// Package sources shows the sources' health beyond the header's pills:
// the lines under them naming each source in trouble, and the panel (S)
// with every source's health in full.
package sources

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// troubled lists the sources that are degraded or failing with something
// to say, in the header's order.
func troubled(vendors uictx.Vendors, health map[string]model.Health) []model.Health {
	var out []model.Health
	for _, v := range vendors {
		h, ok := health[v.Name]
		if ok && (h.State == model.StateDegraded || h.State == model.StateFailing) && troubleText(h) != "" {
			out = append(out, h)
		}
	}
	return out
}

// troubleText is why a source is in trouble: its last error while polls
// are failing; else (degraded after a good poll: a low budget, an
// incomplete answer) its note. An error from before the last good poll is
// history, not the reason.
func troubleText(h model.Health) string {
	if h.Failures > 0 && h.LastError != "" {
		return errorText(h)
	}
	return sanitize.Line(h.Note)
}

// TroubleLines are the header's lines under the pills: each troubled
// source's reason in its own words, so an operator reads what is wrong
// without opening anything. Two at most; the sources panel (S) has all.
func TroubleLines(t *theme.Theme, vendors uictx.Vendors, health map[string]model.Health, width int) []string {
	bad := troubled(vendors, health)
	if len(bad) == 0 {
		return nil
	}
	line := func(h model.Health) string {
		st := t.State(h.State)
		return layout.Fit(st.Render(StateSymbol(h.State)+" "+vendors.Display(h.Source)+" "+h.State.String()+":")+" "+troubleText(h), width)
	}
	if len(bad) <= 2 {
		out := make([]string, len(bad))
		for i, h := range bad {
			out[i] = line(h)
		}
		return out
	}
	var rest []string
	for _, h := range bad[1:] {
		rest = append(rest, vendors.Display(h.Source))
	}
	more := fmt.Sprintf("%d more in trouble: %s", len(rest), strings.Join(rest, ", "))
	return []string{line(bad[0]), layout.Fit(t.Muted.Render("  "+more+" · S shows every error"), width)}
}

// errorText is a health's last error without the vendor's name in front
// (the line already names it), cleaned: part of it is the vendor's words.
func errorText(h model.Health) string {
	return sanitize.Line(strings.TrimPrefix(h.LastError, h.Source+": "))
}

// Panel shows every source's health in full: state, last success,
// the retry, what is left of the rate limit, back-fill progress, the last error
// whole and any note. It is read-only; r asks every source to poll now.
type Panel struct {
	c     *uictx.Context
	ident int
	k     keys

	drawnK string
	drawn  string
}

type keys struct {
	Refresh, Close key.Binding
}

// NewPanel is the panel of every source's health.
func NewPanel(c *uictx.Context) *Panel {
	return &Panel{c: c, ident: c.NextModalID(), k: keys{
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "poll every source now")),
		Close:   key.NewBinding(key.WithKeys("esc", "enter", "S", "q"), key.WithHelp("esc", "close")),
	}}
}

func (p *Panel) ID() int               { return p.ident }
func (p *Panel) OnMsg(tea.Msg) tea.Cmd { return nil }
func (p *Panel) Keys() []key.Binding   { return []key.Binding{p.k.Refresh, p.k.Close} }
func (p *Panel) OnKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, p.k.Close):
		p.c.CloseModal(p.ident)
	case key.Matches(msg, p.k.Refresh):
		p.c.Ask(uictx.SourcesRefresh{})
	}
	return nil
}

func (p *Panel) Box(width, bodyH int) string {
	c := p.c
	now := c.Now()
	ck := fmt.Sprintf("%d/%d/%d/%d", width, bodyH, c.Data.Version, now.Unix())
	if ck == p.drawnK {
		return p.drawn
	}
	w := layout.ModalWidth(width, 96)
	// Errors are shown whole when the body has room, else cut to fewer
	// lines each until the panel fits.
	var lines []string
	for _, most := range []int{1 << 20, 4, 2, 1} {
		lines = p.lines(now, w-4, most)
		if len(lines)+2 <= bodyH {
			break
		}
	}
	p.drawnK, p.drawn = ck, layout.Frame(c.Theme, "Sources", lines, w)
	return p.drawn
}

// lines are the panel's content, inner cells wide, each error and note at
// most most lines.
func (p *Panel) lines(now time.Time, inner, most int) []string {
	c := p.c
	t := c.Theme
	para := func(s string) []string {
		ls := layout.Indent(layout.Wrap([]string{s}, inner-2), "  ")
		if len(ls) > most {
			ls = ls[:most]
			ls[most-1] = layout.Cut(ls[most-1], inner-1) + "…"
		}
		return ls
	}
	var lines []string
	for _, vendor := range c.Vendors {
		v := vendor.Name
		h, ok := c.Data.Health[v]
		if !ok {
			continue
		}
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		st := t.State(h.State)
		facts := []string{h.State.String()}
		if h.Failures > 0 {
			facts = append(facts, words.Plural(h.Failures, "failed poll"))
		}
		if h.Failures > 0 && h.NextPoll.After(now) {
			facts = append(facts, "retry in "+words.Age(h.NextPoll.Sub(now)))
		}
		if !h.LastSuccess.IsZero() {
			facts = append(facts, "last success "+words.Age(now.Sub(h.LastSuccess))+" ago")
		} else if h.State != model.StateStarting {
			facts = append(facts, "no success yet")
		}
		if hr := h.RateLimit.Headroom(); hr >= 0 {
			facts = append(facts, fmt.Sprintf("rate limit %s/%s left", words.Thousands(h.RateLimit.Remaining), words.Thousands(h.RateLimit.Limit)))
		}
		head := layout.Wrap([]string{st.Render(StateSymbol(h.State)+" "+v) + "  " + strings.Join(facts, " · ")}, inner)
		lines = append(lines, head[0])
		for _, l := range head[1:] {
			lines = append(lines, layout.Indent(layout.Wrap([]string{strings.TrimSpace(l)}, inner-2), "  ")...)
		}
		if b := h.Backfill; b != nil && !b.Done {
			lines = append(lines, t.Muted.Render(fmt.Sprintf("  history %d%% · %s", int(b.Fraction()*100), words.Plural(b.Events, "event"))))
		}
		if h.LastError != "" {
			label := "last error"
			if !h.LastErrorAt.IsZero() {
				label += " (" + words.Age(now.Sub(h.LastErrorAt)) + " ago)"
			}
			if h.Failures == 0 {
				label += ", since recovered"
			}
			lines = append(lines, para(t.Muted.Render(label+": ")+errorText(h))...)
		}
		if h.Note != "" {
			lines = append(lines, para(t.Muted.Render("note: ")+sanitize.Line(h.Note))...)
		}
	}
	if len(lines) == 0 {
		lines = append(lines, t.Muted.Render("the sources are still starting"))
	}
	return lines
}

// StateSymbol marks a source's state so it reads without colour: ● ok,
// ▲ degraded, ✖ failing, ○ starting.
func StateSymbol(s model.State) string {
	switch s {
	case model.StateOK:
		return "●"
	case model.StateDegraded:
		return "▲"
	case model.StateFailing:
		return "✖"
	}
	return "○"
}
