package users

import (
	"slices"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/ui/layout"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
)

// timelineWindows are the drill-down timeline's spans, cycled by t.
var timelineWindows = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// defaultTimeline is 7 days.
const defaultTimeline = 1

// timelineLabelW is the vendor column of the timeline.
const timelineLabelW = 10

// timeline is one person's risk across every vendor on one time axis: a
// row a vendor of their level over time (a shade a level, the level's
// initial where it changed), a row a vendor of their scored sign-ins (a
// bar as high as the highest score in the cell), and the time axis in the
// dashboard's zone.
type timeline struct {
	t       *theme.Theme
	vendors uictx.Vendors
	loc     *time.Location
	from    time.Time
	span    time.Duration
	width   int // cells of the axis
}

// col is the cell a moment falls in: [0, width), clamped.
func (tl timeline) col(at time.Time) int {
	c := int(int64(at.Sub(tl.from)) * int64(tl.width) / int64(tl.span))
	return min(max(c, 0), tl.width-1)
}

// cellStart is when cell c begins.
func (tl timeline) cellStart(c int) time.Time {
	return tl.from.Add(time.Duration(int64(tl.span) * int64(c) / int64(tl.width)))
}

// shade is a level as a cell: denser the riskier, so it reads without
// colour.
func shade(l model.Level) string {
	switch l {
	case model.LevelNone:
		return "·"
	case model.LevelLow:
		return "░"
	case model.LevelMedium:
		return "▒"
	case model.LevelHigh:
		return "▓"
	case model.LevelCritical:
		return "█"
	}
	return " "
}

// initial marks a change to a level.
func initial(l model.Level) string {
	if l == model.LevelUnknown {
		return "?"
	}
	return l.Label()[:1]
}

var scoreBars = []string{"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}

// levelRow draws a vendor's points (oldest first): the level in force in
// each cell, the initial of the last level it changed to where a point
// falls.
func (tl timeline) levelRow(points []model.RiskPoint) string {
	cur := model.LevelUnknown
	i := 0
	for i < len(points) && points[i].At.Before(tl.from) {
		cur = points[i].Level
		i++
	}
	var b strings.Builder
	for c := range tl.width {
		end := tl.cellStart(c + 1)
		changed := false
		for i < len(points) && points[i].At.Before(end) {
			changed = changed || points[i].Level != cur
			cur = points[i].Level
			i++
		}
		if changed {
			b.WriteString(tl.t.Level(cur).Render(initial(cur)))
		} else {
			b.WriteString(tl.t.Level(cur).Render(shade(cur)))
		}
	}
	return b.String()
}

// scoreRow draws scored sign-ins: the highest score in each cell as a bar.
func (tl timeline) scoreRow(evs []model.Event) string {
	best := make([]int, tl.width)
	for i := range best {
		best[i] = -1
	}
	for _, e := range evs {
		if e.Score < 0 || e.Time.Before(tl.from) || !e.Time.Before(tl.from.Add(tl.span)) {
			continue
		}
		c := tl.col(e.Time)
		best[c] = max(best[c], e.Score)
	}
	var b strings.Builder
	for _, s := range best {
		if s < 0 {
			b.WriteString(" ")
			continue
		}
		b.WriteString(tl.t.Level(model.LevelOfScore(s)).Render(scoreBars[min(s*len(scoreBars)/101, len(scoreBars)-1)]))
	}
	return b.String()
}

// axis ticks each 6 hours (24h), each midnight (7d) or each week's first
// day from the 1st: 1, 8, 15, 22 (30d), labelled in the dashboard's zone.
func (tl timeline) axis() string {
	line := []rune(strings.Repeat("─", tl.width))
	free := 0
	for c := range tl.width {
		label, ok := tl.tickIn(tl.cellStart(c).In(tl.loc), tl.cellStart(c+1).In(tl.loc))
		if !ok {
			continue
		}
		rs := []rune(label)
		if c < free || c+1+len(rs) > tl.width {
			continue
		}
		line[c] = '┴'
		copy(line[c+1:], rs)
		free = c + 1 + len(rs) + 1
	}
	return string(line)
}

func (tl timeline) tickIn(from, to time.Time) (string, bool) {
	t := from.Truncate(time.Hour)
	if t.Before(from) {
		t = t.Add(time.Hour)
	}
	for ; t.Before(to); t = t.Add(time.Hour) {
		switch {
		case tl.span <= 24*time.Hour:
			if t.Minute() == 0 && t.Hour()%6 == 0 {
				return t.Format("15:04"), true
			}
		case t.Hour() != 0 || t.Minute() != 0:
		case tl.span <= 7*24*time.Hour:
			return t.Format("Jan 02"), true
		case t.Day() <= 22 && (t.Day()-1)%7 == 0:
			return t.Format("Jan 02"), true
		}
	}
	return "", false
}

// draw is the whole timeline: rows by vendor in the registry's order,
// the axis, a legend. "" when there is nothing to draw.
func (tl timeline) draw(history []model.RiskPoint, scored []model.Event) []string {
	byVendor := map[string][]model.RiskPoint{}
	for _, p := range history {
		byVendor[p.Vendor] = append(byVendor[p.Vendor], p)
	}
	signIns := map[string][]model.Event{}
	for _, e := range scored {
		if e.Score >= 0 {
			signIns[e.Vendor] = append(signIns[e.Vendor], e)
		}
	}
	names := tl.vendors.Names()
	for v := range byVendor {
		if !slices.Contains(names, v) {
			names = append(names, v)
		}
	}
	for v := range signIns {
		if !slices.Contains(names, v) {
			names = append(names, v)
		}
	}
	var lines, scorers []string
	label := func(s string) string {
		return layout.PadRight(layout.Cut(s, timelineLabelW-1), timelineLabelW)
	}
	for _, v := range names {
		if ps := byVendor[v]; len(ps) > 0 {
			slices.SortStableFunc(ps, func(a, b model.RiskPoint) int { return a.At.Compare(b.At) })
			lines = append(lines, label(tl.vendors.Short(v))+tl.levelRow(ps))
		}
		if evs := signIns[v]; len(evs) > 0 {
			lines = append(lines, tl.t.Muted.Render(label(tl.vendors.Short(v)+" score"))+tl.scoreRow(evs))
			scorers = append(scorers, tl.vendors.Display(v))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	legend := "·none ░low ▒med ▓high █crit  N L M H C: changed to"
	if len(scorers) > 0 {
		// A score is its vendor's: said so, as everywhere.
		legend += "  ▁…█ " + strings.Join(scorers, ", ") + " score 0–100"
	}
	lines = append(lines, tl.t.Muted.Render(layout.Spaces(timelineLabelW)+tl.axis()), tl.t.Muted.Render(legend))
	return lines
}
