package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/sources"
	"github.com/risktop/risktop/ui/words"
)

// header draws the title, live/paused, one pill per source with when it
// last answered, the clock in the dashboard's zone, the last error of each
// source in trouble and, while the sign-ins' history back-fills, a
// progress line. It is cached: rebuilt only when the data, the size or
// the clock's visible value (to the second) changes.
func (a *App) header() string {
	now := a.deps.Now()
	ck := fmt.Sprintf("%d/%d/%v/%d/%d/%p", a.width, a.data.Version, a.paused, a.waiting, now.Unix(), a.c.Loc)
	if ck == a.headerKey {
		return a.headerView
	}
	t := a.deps.Theme
	title := ""
	if a.deps.Title != "" {
		title = t.Muted.Render(" · " + a.deps.Title)
	}
	status := t.Live.Render("LIVE")
	if a.paused {
		status = t.Paused.Render(fmt.Sprintf("PAUSED · %s new", words.Thousands(a.waiting)))
	}
	clock := t.Muted.Render(now.In(a.c.Loc).Format("15:04 MST"))
	status += a.alertBadge()
	// Shortened step by step until it fits: the rate limits go, then the
	// vendors' short names and bare ages, then the title; at last cut.
	var left, pills string
	type headerStep struct{ short, ago, rate, title bool }
	steps := []headerStep{{false, true, true, true}, {false, true, false, true}, {false, false, false, true}, {true, false, false, true}, {true, false, false, false}}
	if a.data.Alerts.Open > 0 {
		// The open alerts' badge takes the room of the title's end before
		// the vendors' names shorten.
		steps = slices.Insert(steps, 3, headerStep{false, false, false, false})
	}
	for _, step := range steps {
		pills = a.pills(now, step.short, step.ago, step.rate)
		left = t.Title.Render("risktop")
		if !step.title {
			// The title is cut to the room left rather than dropped.
			if room := a.width - lipgloss.Width(left+" "+status) - 1 - lipgloss.Width(pills) - 2 - lipgloss.Width(clock); room >= 6 {
				left += layout.Cut(title, room)
			}
		} else {
			left += title
		}
		left += " " + status
		if lipgloss.Width(left)+1+lipgloss.Width(pills)+2+lipgloss.Width(clock) <= a.width {
			break
		}
	}
	room := a.width - lipgloss.Width(left) - 1 - 2 - lipgloss.Width(clock)
	if lipgloss.Width(pills) > room {
		pills = ansi.Truncate(pills, max(room, 0), "…")
	}
	right := pills + "  " + clock
	gap := max(a.width-lipgloss.Width(left)-lipgloss.Width(right), 1)
	line := layout.Fit(left+strings.Repeat(" ", gap)+right, a.width)
	for _, l := range sources.TroubleLines(a.deps.Theme, a.c.Vendors, a.data.Health, a.width) {
		line += "\n" + l
	}
	if v, p := a.backfill(); p != nil {
		line += "\n" + a.progressLine(v, *p)
	}
	a.headerKey, a.headerView = ck, line
	return line
}

// pills draws each source's health: a symbol (so state reads without
// colour), the name, when it last answered ("12s ago") or when it retries,
// and its rate-limit headroom when known. short: the vendors' short names;
// ago: "12s ago" rather than "12s"; rate: the headroom.
func (a *App) pills(now time.Time, short, ago, rate bool) string {
	t := a.deps.Theme
	var out []string
	for _, v := range a.c.Vendors {
		h, ok := a.data.Health[v.Name]
		if !ok {
			continue
		}
		name, since := v.Display, ""
		if short {
			name = v.Short
		}
		if ago {
			since = " ago"
		}
		st := t.State(h.State)
		p := st.Render(sources.StateSymbol(h.State)) + " " + name
		switch {
		case h.State == model.StateStarting:
			p += t.Muted.Render(" starting")
		case (h.State == model.StateDegraded || h.State == model.StateFailing) && h.Failures > 0 && h.NextPoll.After(now):
			p += st.Render(" retry " + words.Age(h.NextPoll.Sub(now)))
		case !h.LastSuccess.IsZero():
			p += t.Muted.Render(" " + words.Age(now.Sub(h.LastSuccess)) + since)
		}
		if hr := h.RateLimit.Headroom(); hr >= 0 && rate {
			p += t.Muted.Render(fmt.Sprintf(" %d%%", int(hr*100)))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return t.Muted.Render("starting sources…")
	}
	sep := "  "
	if short {
		sep = " "
	}
	return strings.Join(out, sep)
}

// backfill is the sign-ins' vendor and its history's back-fill while it
// runs, nil when it does not.
func (a *App) backfill() (vendorkit.Info, *model.Progress) {
	v, ok := a.c.Vendors.SignIns()
	if !ok {
		return v, nil
	}
	h, ok := a.data.Health[v.Name]
	if !ok || h.Backfill == nil || h.Backfill.Done {
		return v, nil
	}
	return v, h.Backfill
}

func (a *App) progressLine(v vendorkit.Info, p model.Progress) string {
	t := a.deps.Theme
	label := v.Display + " history "
	info := fmt.Sprintf(" %s · back to %s of %s", words.Plural(p.Events, "event"),
		p.Reached.In(a.c.Loc).Format("Jan 2 15:04"), words.Coarse(p.To.Sub(p.From)))
	bar := progress.New(progress.WithSolidFill("#3A7BD5"), progress.WithColorProfile(t.Renderer.ColorProfile()))
	bar.Width = max(a.width-lipgloss.Width(label)-lipgloss.Width(info), 10)
	line := t.Muted.Render(label) + bar.ViewAs(p.Fraction()) + t.Muted.Render(info)
	return ansi.Truncate(line, a.width, "…")
}

func (a *App) tabBar() string {
	ck := fmt.Sprintf("%d/%v/%d", a.tab, a.drill != nil, a.width)
	if ck == a.tabsKey {
		return a.tabsView
	}
	t := a.deps.Theme
	// The names shorten when the drill-down's tab needs the room.
	draw := func(names []string) string {
		var b strings.Builder
		for i, name := range names {
			label := fmt.Sprintf("%d %s", i+1, name)
			if tab(i) == a.tab && a.drill == nil {
				b.WriteString(t.TabActive.Render(label))
			} else {
				b.WriteString(t.Tab.Render(label))
			}
		}
		if a.drill != nil {
			b.WriteString(t.TabActive.Render("user"))
		}
		return b.String()
	}
	bar := draw(tabNames[:])
	if lipgloss.Width(bar) > a.width {
		bar = draw(shortTabNames[:])
	}
	a.tabsKey, a.tabsView = ck, layout.Fit(bar, a.width)
	return a.tabsView
}

// shortTabNames are the tab names where the full ones do not fit.
var shortTabNames = [...]string{"Overview", "Events", "Users", "Behaviors", "Integr.", "Outbox", "Alerts"}

// footer is the command bar when open, else a notice, else the keys that
// work here: those of the top of the focus stack, or the screen's and the
// global ones. Too many for one line, the most important stay (each list
// starts with them) and ? offers the rest.
func (a *App) footer() string {
	t := a.deps.Theme
	switch {
	case a.cmdbar.active:
		return layout.Fit(a.cmdbar.View(a.width), a.width)
	case a.toast.visible(a.deps.Now()):
		lines := a.toast.lines(t, a.width)
		return lines[len(lines)-1]
	case a.help && a.modal == nil:
		return layout.Fit(t.Key.Render("esc")+" "+t.Muted.Render("close help")+"  "+t.Key.Render("↑/↓ pgdn")+" "+t.Muted.Render("scroll")+
			t.Muted.Render("  "+a.helpVP.Where()), a.width)
	}
	var bs, tail []key.Binding
	if top, ok := a.top(); ok {
		bs, tail = top.keys, top.tail
	} else {
		bs, tail = a.screens[a.tab].Keys(), []key.Binding{a.keys.Help, a.keys.Command, a.keys.Quit}
	}
	var ck strings.Builder
	fmt.Fprintf(&ck, "%d", a.width)
	for _, b := range append(bs, tail...) {
		h := b.Help()
		ck.WriteString("|" + h.Key + "=" + h.Desc)
	}
	if ck.String() == a.footKey {
		return a.footView
	}
	part := func(b key.Binding) string {
		h := b.Help()
		if !b.Enabled() || h.Key == "" {
			return ""
		}
		return t.Key.Render(h.Key) + " " + t.Muted.Render(h.Desc)
	}
	join := func(parts []string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, "  ")
	}
	var own, end []string
	for _, b := range bs {
		own = append(own, part(b))
	}
	for _, b := range tail {
		end = append(end, part(b))
	}
	line := join(append(own, end...))
	if lipgloss.Width(line) > a.width {
		more := t.Key.Render("…")
		if len(tail) > 0 {
			// ? lists every key of the screen: it stands for the ones left out.
			more = t.Key.Render(a.keys.Help.Help().Key) + " " + t.Muted.Render("all keys")
			end = end[1:]
		}
		// In order of importance, each key that still fits beside the
		// ones kept and the ending; a long one left out makes way for
		// shorter ones after it.
		// The way out (esc) always shows, before the rest.
		for i, b := range bs {
			if slices.Contains(b.Keys(), "esc") && own[i] != "" {
				more = own[i] + "  " + more
				own = slices.Delete(slices.Clone(own), i, i+1)
				break
			}
		}
		rest := lipgloss.Width(join(append([]string{more}, end...)))
		var kept []string
		used := 0
		for _, p := range own {
			if p == "" {
				continue
			}
			if w := lipgloss.Width(p) + 2; used+w+rest <= a.width {
				kept, used = append(kept, p), used+w
			}
		}
		line = join(append(append(kept, more), end...))
	}
	a.footKey, a.footView = ck.String(), layout.Fit(line, a.width)
	return a.footView
}

// helpText lists every binding, generated from the same key maps that
// handle the keys: global ones, the current screen's, then the commands.
// Side by side where they fit, else one under the other; the help
// scrolls when they are longer than the body.
func (a *App) helpText(width int) string {
	t := a.deps.Theme
	g := a.keys
	tabs := key.NewBinding(key.WithKeys("1"), key.WithHelp(fmt.Sprintf("1–%d", len(tabNames)), "a tab, as numbered in the tab bar"))
	global := []key.Binding{tabs, g.NextTab, g.PrevTab, g.Command, g.Sources, g.Pause, g.Refresh, g.Slower, g.Faster, g.Back, g.Help, g.Quit, g.ForceQuit}
	keyW := 11
	if width < 100 {
		keyW = 9
	}
	col := func(title string, bs []key.Binding) string {
		lines := []string{t.Bold.Render(title)}
		for _, b := range bs {
			h := b.Help()
			if !b.Enabled() || h.Key == "" {
				continue
			}
			lines = append(lines, t.Key.Render(layout.PadRight(h.Key, keyW))+" "+h.Desc)
		}
		return strings.Join(lines, "\n")
	}
	name := tabNames[a.tab]
	if a.drill != nil {
		name = "User drill-down"
	}
	cmds := t.Bold.Render("Commands (:)") + "\n" + strings.Join(a.commandHelp(), "\n")
	left, mid := col("Everywhere", global), col(name, a.current().Keys())
	gap := "    "
	if width < 100 {
		gap = "  "
	}
	var body string
	switch {
	case lipgloss.Width(left)+lipgloss.Width(mid)+lipgloss.Width(cmds)+2*len(gap) <= width:
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, gap, mid, gap, cmds)
	case lipgloss.Width(left)+lipgloss.Width(mid)+len(gap) <= width:
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, gap, mid) + "\n\n" + cmds
	default:
		body = left + "\n\n" + mid + "\n\n" + cmds
	}
	note := "What is open (the help, a panel, the drill-down, a detail) has every key until esc closes it; q closes the help and the drill-down; ctrl+c quits from anywhere."
	lines := layout.Wrap(strings.Split(body+"\n\n"+t.Muted.Render(note)+"\n"+t.Muted.Render("? or esc closes this help · ↑/↓ pgup/pgdn scroll"), "\n"), width)
	return strings.Join(lines, "\n")
}

// redrawMsg is the one timer the header needs: it fires when the clock,
// a displayed age or a retry countdown would change its text.
type redrawMsg struct{ gen int }

// scheduleRedraw arms the timer for the next moment the header's text
// changes: the clock's next minute, or sooner when an age or a countdown
// shown in seconds moves on.
func (a *App) scheduleRedraw() tea.Cmd {
	now := a.deps.Now()
	next := time.Minute - time.Duration(now.UnixNano())%time.Minute
	consider := func(d time.Duration) {
		if d > 0 && d < next {
			next = d
		}
	}
	for _, h := range a.data.Health {
		if !h.LastSuccess.IsZero() {
			consider(words.AgeStep(now.Sub(h.LastSuccess)))
		}
		if h.Failures > 0 && h.NextPoll.After(now) {
			left := h.NextPoll.Sub(now)
			if left < time.Minute {
				consider(left%time.Second + time.Millisecond)
			} else {
				consider(left%time.Minute + time.Millisecond)
			}
		}
	}
	a.tickGen++
	gen := a.tickGen
	return a.deps.After(next, redrawMsg{gen})
}
