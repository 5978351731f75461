package users

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/theme"
	"github.com/risktop/risktop/ui/uictx"
)

func plainTheme() *theme.Theme {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	return theme.New(r)
}

// TestTimelineColumns: a level change lands in the column of its time
// (a 7-day axis of 70 cells is 2.4 hours a cell), the level in force
// fills the cells between, and the level before the window fills its
// start; a scored sign-in is a bar in its column, as high as its score.
func TestTimelineColumns(t *testing.T) {
	now := time.Date(2026, 11, 21, 14, 30, 0, 0, time.UTC)
	span := 7 * 24 * time.Hour
	tl := timeline{t: plainTheme(), vendors: uictx.Vendors(vendors.Infos()), loc: time.UTC, from: now.Add(-span), span: span, width: 70}
	high := now.Add(-36 * time.Hour)    // cell (168-36)/2.4 = 55
	crit := now.Add(-100 * time.Minute) // cell 69, the last
	if tl.col(high) != 55 || tl.col(crit) != 69 || tl.col(now.Add(-span)) != 0 {
		t.Fatalf("columns %d %d %d", tl.col(high), tl.col(crit), tl.col(now.Add(-span)))
	}
	row := []rune(tl.levelRow([]model.RiskPoint{
		{At: now.Add(-30 * 24 * time.Hour), Vendor: "cloudflare", Level: model.LevelMedium},
		{At: high, Vendor: "cloudflare", Level: model.LevelHigh},
		{At: crit, Vendor: "cloudflare", Level: model.LevelCritical},
	}))
	if len(row) != 70 || row[55] != 'H' || row[69] != 'C' || row[0] != '▒' || row[54] != '▒' || row[56] != '▓' || row[68] != '▓' {
		t.Fatalf("row %q", string(row))
	}
	bars := []rune(tl.scoreRow([]model.Event{{Time: high, Score: 100}, {Time: high.Add(time.Minute), Score: 10}, {Time: crit, Score: 0},
		{Time: now.Add(-8 * 24 * time.Hour), Score: 99}, {Time: now.Add(-time.Hour), Score: model.NoScore}}))
	if len(bars) != 70 || bars[55] != '█' || bars[69] != '▁' || strings.Count(string(bars), " ") != 68 {
		t.Fatalf("bars %q", string(bars))
	}
	axis := tl.axis()
	if !strings.Contains(axis, "┴Nov 15") || !strings.Contains(axis, "┴Nov 21") {
		t.Fatalf("axis %q", axis)
	}
}
