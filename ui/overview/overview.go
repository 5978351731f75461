// Package overview is tab 1: a vendor's score buckets, the users by level
// of each vendor that reports levels, events per minute and the riskiest
// people and addresses.
package overview

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/barchart"
	"github.com/NimbleMarkets/ntcharts/sparkline"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/uictx"
	"github.com/risktop/risktop/ui/words"
)

// Screen is tab 1: the score buckets of the vendor that reports them, the
// users by level of each vendor that reports levels, events per minute
// over the last hour, and the riskiest people and addresses.
type Screen struct {
	c      *uictx.Context
	window int // index into model.ScoreWindows
	next   key.Binding
	levels uictx.Vendors // the vendors with a levels panel, top to bottom

	// From the store, refreshed when events arrive.
	ips      []model.IPRisk
	rate     []int
	rateTo   time.Time
	loaded   bool
	loading  bool
	dirty    bool
	queryGen int
	err      string

	cacheKey  string
	cacheView string
}

// New is the Overview tab, on the 24-hour score window.
func New(c *uictx.Context) *Screen {
	return &Screen{c: c, next: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "score window")), levels: c.Vendors.WithLevels()}
}

// loaded is the result of the overview's store reads.
type loaded struct {
	gen  int
	ips  []model.IPRisk
	rate []int
	to   time.Time
	err  error
}

func (o *Screen) Keys() []key.Binding { return []key.Binding{o.next} }
func (o *Screen) Typing() bool        { return false }
func (o *Screen) Activate() tea.Cmd   { return o.load() }

// load reads what the overview needs from the store, one read at a time:
// announcements that arrive meanwhile mark it dirty for one more read.
func (o *Screen) load() tea.Cmd {
	if o.loading {
		o.dirty = true
		return nil
	}
	st := o.c.Store
	if st == nil {
		return nil
	}
	o.loading, o.dirty = true, false
	o.queryGen++
	gen, ctx, now := o.queryGen, o.c.Ctx, o.c.Now()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		to := now.Truncate(time.Minute).Add(time.Minute)
		r := loaded{gen: gen, to: to}
		r.ips, r.err = st.TopIPs(ctx, now.Add(-24*time.Hour), 8)
		if r.err == nil {
			r.rate, r.err = st.EventRate(ctx, store.EventFilter{}, to.Add(-time.Hour), to, time.Minute)
		}
		return r
	}
}

func (o *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loaded:
		if msg.gen != o.queryGen {
			return nil
		}
		o.loading = false
		if msg.err != nil {
			o.err = msg.err.Error()
		} else {
			o.ips, o.rate, o.rateTo, o.loaded, o.err = msg.ips, msg.rate, msg.to, true, ""
		}
		o.cacheKey = ""
		if o.dirty && o.c.OnTab(o) {
			return o.load()
		}
	case uictx.DataChanged:
		o.cacheKey = ""
		if msg.Events && o.c.OnTab(o) {
			return o.load()
		}
	case tea.KeyMsg:
		if key.Matches(msg, o.next) {
			o.window = (o.window + 1) % len(model.ScoreWindows)
			o.cacheKey = ""
		}
	}
	return nil
}

// view is cached: rebuilt only when the data, the size or the window
// changes, because the charts cost a millisecond or two to draw.
func (o *Screen) View(w, h int) string {
	ck := fmt.Sprintf("%d/%d/%d/%d/%d", w, h, o.c.Data.Version, o.window, o.queryGen)
	if ck == o.cacheKey && o.loaded == (o.cacheView != "") {
		return o.cacheView
	}
	o.cacheKey, o.cacheView = ck, o.render(w, h)
	return o.cacheView
}

func (o *Screen) render(w, h int) string {
	t := o.c.Theme
	// Three bands: charts on top, the event rate, then the top lists.
	topH := max(9, h*45/100)
	rateH := 4
	listH := max(h-topH-rateH, 3)
	leftW := w * 55 / 100
	rightW := w - leftW - 1

	left := o.scoresPanel(leftW, topH)
	// The levels panels share the column, the last taking what the
	// division leaves.
	panels := make([]string, len(o.levels))
	for i, v := range o.levels {
		ph := topH / len(o.levels)
		if i == len(o.levels)-1 {
			ph = topH - ph*i
		}
		panels[i] = o.levelsPanel(v, rightW, ph)
	}
	right := lipgloss.JoinVertical(lipgloss.Left, panels...)
	top := lipgloss.JoinHorizontal(lipgloss.Top, left, " ", layout.Block(right, rightW, topH))

	rate := o.ratePanel(w, rateH)
	half := (w - 1) / 2
	lists := lipgloss.JoinHorizontal(lipgloss.Top, o.topPeople(half, listH), " ", o.topIPs(w-half-1, listH))
	out := lipgloss.JoinVertical(lipgloss.Left, layout.Block(top, w, topH), layout.Block(rate, w, rateH), layout.Block(lists, w, listH))
	if o.err != "" {
		out = t.Error.Render("store: "+o.err) + "\n" + out
	}
	return layout.Block(out, w, h)
}

var bucketShort = [...]string{"minimal", "low", "medium", "high", "v.high"}

// scoresPanel is the bucket chart of the vendor that reports score
// buckets: one bar per bucket coloured green to red, its count above it,
// its name below.
func (o *Screen) scoresPanel(w, h int) string {
	t := o.c.Theme
	v, reported := o.c.Vendors.Scores()
	if !reported {
		return layout.Block(t.Bold.Render("Sign-in risk")+"\n"+t.Muted.Render("no vendor reports score buckets"), w, h)
	}
	win := model.ScoreWindows[o.window]
	title := t.Bold.Render(v.Display+" sign-in risk") + t.Muted.Render(" · last "+windowLabel(win)+" (w)")
	s, ok := o.c.Data.Scores[win]
	if !ok {
		msg := "waiting for score insights…"
		if _, on := o.c.Data.Health[v.Name]; !on {
			msg = v.Display + " is not configured"
		}
		return layout.Block(title+"\n"+t.Muted.Render(msg), w, h)
	}
	chartH := max(h-3, 2) // title, counts, labels
	barW := max(min((w-8)/5, 12), 3)
	gap := 2
	// NoAutoBarWidth first: WithBarWidth is ignored while auto width is on.
	bc := barchart.New(5*barW+4*gap, chartH, barchart.WithNoAxis(), barchart.WithNoAutoBarWidth(),
		barchart.WithBarWidth(barW), barchart.WithBarGap(gap))
	maxCount := 1
	for _, c := range s.Counts {
		maxCount = max(maxCount, c)
	}
	bc.SetMax(float64(maxCount))
	for i, b := range model.Buckets {
		bc.Push(barchart.BarData{Label: bucketShort[i], Values: []barchart.BarValue{
			{Name: b.String(), Value: float64(s.Counts[i]), Style: t.Bucket(b)},
		}})
	}
	bc.Draw()
	cell := func(text string, st lipgloss.Style) string {
		return st.Render(centre(text, barW))
	}
	var counts, labels []string
	for i, b := range model.Buckets {
		counts = append(counts, cell(words.Thousands(s.Counts[i]), t.Bucket(b)))
		labels = append(labels, cell(bucketShort[i], t.Muted))
	}
	sep := strings.Repeat(" ", gap)
	total := t.Muted.Render(fmt.Sprintf("  %s sign-ins", words.Thousands(s.Total)))
	body := title + total + "\n" + strings.Join(counts, sep) + "\n" + bc.View() + "\n" + strings.Join(labels, sep)
	return layout.Block(body, w, h)
}

func windowLabel(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 24*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%dh", int(d/time.Hour))
}

func centre(s string, w int) string {
	sw := lipgloss.Width(s)
	if sw >= w {
		return s
	}
	l := (w - sw) / 2
	return strings.Repeat(" ", l) + s + strings.Repeat(" ", w-sw-l)
}

// levelsPanel counts a vendor's distinct people per level (a person with
// a view per application counts once, at their highest) as horizontal
// bars, in the vendor's order of levels.
func (o *Screen) levelsPanel(v vendorkit.Info, w, h int) string {
	t := o.c.Theme
	title, views := v.LevelsTitle, o.c.Data.Views[v.Name]
	if views == nil {
		return layout.Block(t.Bold.Render(title)+"\n"+t.Muted.Render("no data yet"), w, h)
	}
	best := map[string]model.Level{}
	for _, v := range views {
		k := v.Key()
		if k == "" {
			k = v.Vendor + ":" + v.UserID
		}
		best[k] = model.Max(best[k], v.Level)
	}
	counts := map[model.Level]int{}
	most := 1
	for _, l := range best {
		counts[l]++
		most = max(most, counts[l])
	}
	lines := []string{t.Bold.Render(title) + t.Muted.Render(fmt.Sprintf(" · %d", len(best)))}
	barRoom := max(w-9-7, 4)
	for _, l := range v.Levels {
		n := counts[l]
		bar := strings.Repeat("█", (n*barRoom+most-1)/most)
		lines = append(lines, layout.PadRight(l.Label(), 9)+t.Level(l).Render(bar)+" "+words.Thousands(n))
	}
	return layout.Block(strings.Join(lines, "\n"), w, h)
}

// ratePanel is events per minute over the last hour as a sparkline.
func (o *Screen) ratePanel(w, h int) string {
	t := o.c.Theme
	title := t.Bold.Render("Events per minute") + t.Muted.Render(" · last hour")
	if !o.loaded {
		return layout.Block(title+"\n"+t.Muted.Render("loading…"), w, h)
	}
	peak, sum := 0, 0
	vals := make([]float64, len(o.rate))
	for i, n := range o.rate {
		vals[i] = float64(n)
		peak = max(peak, n)
		sum += n
	}
	title += t.Muted.Render(fmt.Sprintf(" · %s events, peak %d/min", words.Thousands(sum), peak))
	sw := min(w, max(len(vals), 10))
	sl := sparkline.New(sw, h-1, sparkline.WithStyle(t.Title), sparkline.WithMaxValue(float64(max(peak, 1))))
	sl.PushAll(vals)
	sl.Draw()
	return layout.Block(title+"\n"+sl.View(), w, h)
}

func (o *Screen) topPeople(w, h int) string {
	t := o.c.Theme
	lines := []string{t.Bold.Render("Riskiest people")}
	for _, p := range o.c.Data.People {
		if len(lines) == h {
			break
		}
		if p.Level < model.LevelLow {
			break
		}
		name := p.Name
		if name == "" {
			name = p.Email
		}
		vendors := make([]string, 0, 3)
		for _, v := range o.c.Vendors.Of(p) {
			vendors = append(vendors, o.c.Vendors.Short(v))
		}
		tail := " " + strings.Join(vendors, "·")
		lv := t.Level(p.Level).Render(layout.PadRight(p.Level.Label(), 9))
		room := max(w-9-lipgloss.Width(tail), 4)
		lines = append(lines, lv+layout.PadRight(layout.Cut(name, room), room)+t.Muted.Render(tail))
	}
	if len(lines) == 1 {
		lines = append(lines, t.Muted.Render("no one above low risk yet"))
	}
	return layout.Block(strings.Join(lines, "\n"), w, h)
}

func (o *Screen) topIPs(w, h int) string {
	t := o.c.Theme
	lines := []string{t.Bold.Render("Riskiest addresses") + t.Muted.Render(" · 24h")}
	for _, ip := range o.ips {
		if len(lines) == h {
			break
		}
		score := "  –"
		if ip.MaxScore >= 0 {
			score = fmt.Sprintf("%3d", ip.MaxScore)
		}
		meta := fmt.Sprintf(" %s ev · %s", words.Thousands(ip.Events), words.Plural(ip.Users, "user"))
		room := max(w-4-lipgloss.Width(meta), 8)
		lines = append(lines, t.Level(ip.Level).Render(score)+" "+layout.PadRight(layout.Cut(ip.IP, room), room)+t.Muted.Render(meta))
	}
	if len(lines) == 1 {
		msg := "no events yet"
		if !o.loaded {
			msg = "loading…"
		}
		lines = append(lines, t.Muted.Render(msg))
	}
	return layout.Block(strings.Join(lines, "\n"), w, h)
}
