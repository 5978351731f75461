package overview

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/NimbleMarkets/ntcharts/sparkline"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/words"
)

// Trend modes, cycled by t: 24 hours by the hour, 90 days by the day,
// and, where the band has no room for both, the events per minute.
const (
	trendDay = iota
	trendQuarter
	trendRate
)

type trendSpec struct {
	span, step time.Duration
	title      string // "24h by the hour"
	before     string // "the 24h before"
}

var trendSpecs = [...]trendSpec{
	trendDay:     {24 * time.Hour, time.Hour, "24h by the hour", "the 24h before"},
	trendQuarter: {90 * 24 * time.Hour, 24 * time.Hour, "90d by the day", "the 90d before"},
}

// trendLoaded is a trend read.
type trendLoaded struct {
	gen   int
	mode  int
	trend model.Trend
	err   error
}

// trendCmd reads the trend of the mode shown from the hourly rollup.
func (o *Screen) trendCmd() tea.Cmd {
	st := o.c.Store
	mode := o.trMode
	if st == nil || mode == trendRate {
		return nil
	}
	o.trGen++
	gen, ctx, spec := o.trGen, o.c.Ctx, trendSpecs[mode]
	// Up to the end of the hour now, so the newest step is this hour's.
	to := o.c.Now().UTC().Truncate(time.Hour).Add(time.Hour)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		tr, err := st.Trends(ctx, store.TrendQuery{From: to.Add(-spec.span), To: to, Step: spec.step})
		return trendLoaded{gen: gen, mode: mode, trend: tr, err: err}
	}
}

func (o *Screen) onTrend(msg trendLoaded) {
	if msg.gen != o.trGen {
		return
	}
	if errors.Is(msg.err, context.Canceled) {
		return // the dashboard is quitting: its last frame keeps what it showed
	}
	if msg.err != nil {
		o.trErr = msg.err.Error()
		return
	}
	o.trErr, o.trend, o.trLoaded = "", msg.trend, true
}

// nextTrend is the t key.
func (o *Screen) nextTrend() tea.Cmd {
	modes := 2
	if !o.wide {
		modes = 3 // the events per minute take the band in turn
	}
	o.trMode = (o.trMode + 1) % modes
	o.trLoaded = false
	return o.trendCmd()
}

// trendRows are the bucket rows, riskiest first, then the events without
// a score.
var trendRows = []int{int(model.BucketVeryHigh), int(model.BucketHigh), int(model.BucketMedium), int(model.BucketLow), int(model.BucketMinimal), model.Unscored}

func trendLabel(b int) (string, model.Level) {
	if b == model.Unscored {
		return "No score", model.LevelUnknown
	}
	lv := model.Bucket(b).Level()
	return lv.Label(), lv
}

// trendsPanel is a row a score bucket: its counts over the window as a
// sparkline (each row to its own peak, so a small bucket still shows its
// shape), its total and the change against the window before; then the
// time axis, in the dashboard's zone.
func (o *Screen) trendsPanel(w, h int) string {
	t := o.c.Theme
	if o.trMode == trendRate {
		return o.ratePanel(w, h)
	}
	spec := trendSpecs[o.trMode]
	tr := o.trend
	// The window before is compared only when it was stored whole: before
	// the first stored hour there is no telling how many events there
	// were (a store back-filling, or younger than the two windows).
	compare := o.trLoaded && !tr.Earliest.After(tr.From.Add(-tr.To.Sub(tr.From)))
	title := t.Bold.Render("Trends") + t.Muted.Render(" · "+spec.title+", vs "+spec.before+" (t)")
	if !compare && !tr.Earliest.IsZero() {
		loc := o.c.Loc
		title = t.Bold.Render("Trends") + t.Muted.Render(" · "+spec.title+" (t) · stored since "+
			clock(tr.Earliest.In(loc), o.c.Now().In(loc))+", too new to compare")
	}
	switch {
	case o.trErr != "":
		return layout.Block(title+"\n"+t.Error.Render("store: "+o.trErr), w, h)
	case !o.trLoaded:
		return layout.Block(title+"\n"+t.Muted.Render("loading…"), w, h)
	}
	// Rows with events in either window, riskiest first, as many as fit.
	var rows []int
	for _, b := range trendRows {
		if tr.Total[b]+tr.Previous[b] > 0 {
			rows = append(rows, b)
		}
	}
	if len(rows) == 0 {
		return layout.Block(title+"\n"+t.Muted.Render("no events in "+spec.title[:strings.IndexByte(spec.title, ' ')]+" or before"), w, h)
	}
	room := max(h-2, 1)
	hidden := max(len(rows)-room, 0)
	rows = rows[:min(len(rows), room)]
	if hidden > 0 {
		title += t.Muted.Render(fmt.Sprintf(" · %d more rows when taller", hidden))
	}
	const labelW = 9
	stats := make([]string, len(rows))
	statW := 0
	for i, b := range rows {
		stats[i] = words.Thousands(tr.Total[b])
		if compare {
			stats[i] += " " + change(tr.Total[b], tr.Previous[b])
		}
		statW = max(statW, layout.Width(stats[i]))
	}
	chartW := max(w-labelW-1-1-statW, 8)
	steps := len(tr.Counts)
	per, merge := 1, 1 // cells a step, steps a cell
	if steps <= chartW {
		per = max(min(chartW/steps, 3), 1)
	} else {
		merge = (steps + chartW - 1) / chartW
	}
	cols := (steps + merge - 1) / merge
	width := cols * per
	lines := []string{title}
	for i, b := range rows {
		label, lv := trendLabel(b)
		vals := make([]float64, 0, width)
		peak := 0
		sums := make([]int, cols)
		for s, c := range tr.Counts {
			sums[s/merge] += c[b]
		}
		for _, n := range sums {
			peak = max(peak, n)
		}
		for _, n := range sums {
			v := float64(n)
			if n > 0 {
				v = math.Max(v, float64(peak)/8) // a single event still shows
			}
			for range per {
				vals = append(vals, v)
			}
		}
		sl := sparkline.New(width, 1, sparkline.WithMaxValue(float64(max(peak, 1))), sparkline.WithStyle(t.Level(lv)))
		sl.PushAll(vals)
		sl.Draw()
		lines = append(lines, t.Level(lv).Render(layout.PadRight(label, labelW))+" "+sl.View()+" "+layout.PadLeft(stats[i], statW))
	}
	lines = append(lines, t.Muted.Render(layout.Spaces(labelW+1)+o.trendAxis(tr, merge, per, width)))
	return layout.Block(strings.Join(lines, "\n"), w, h)
}

// change is a count against the window before: "↑ +35%", "↓ −12%", "= 0%",
// "new" when there was nothing before.
func change(now, before int) string {
	switch {
	case before == 0 && now == 0:
		return "  –"
	case before == 0:
		return "↑ new"
	}
	pct := int(math.Round(float64(now-before) * 100 / float64(before)))
	switch {
	case pct > 0:
		return fmt.Sprintf("↑ +%d%%", pct)
	case pct < 0:
		return fmt.Sprintf("↓ −%d%%", -pct)
	}
	return "= 0%"
}

// trendAxis is the line under the rows: a tick and a label at each
// quarter of the day (hourly) or the 1st and 15th of a month (daily).
func (o *Screen) trendAxis(tr model.Trend, merge, per, width int) string {
	line := []rune(strings.Repeat("─", width))
	free := 0
	for col := 0; col*per < width; col++ {
		from := tr.From.Add(time.Duration(col*merge) * tr.Step).In(o.c.Loc)
		to := from.Add(time.Duration(merge) * tr.Step)
		label, ok := tickIn(from, to, tr.Step)
		if !ok {
			continue
		}
		x := col * per
		rs := []rune(label)
		if x < free || x+1+len(rs) > width {
			continue
		}
		line[x] = '┴'
		copy(line[x+1:], rs)
		free = x + 1 + len(rs) + 1
	}
	return string(line)
}

// tickIn finds a tick in [from, to): 00:00, 06:00, 12:00 and 18:00 of
// hourly steps; the 1st and 15th of daily ones.
func tickIn(from, to time.Time, step time.Duration) (string, bool) {
	if step < 24*time.Hour {
		for t := from; t.Before(to); t = t.Add(time.Hour) {
			if t.Hour()%6 == 0 {
				return t.Format("15:04"), true
			}
		}
		return "", false
	}
	for t := from; t.Before(to); t = t.Add(24 * time.Hour) {
		if t.Day() == 1 || t.Day() == 15 {
			return t.Format("Jan 02"), true
		}
	}
	return "", false
}
