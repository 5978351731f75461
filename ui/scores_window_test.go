package ui

import (
	"strings"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/hub"
)

// When OneLogin ignores the score window, the Overview says so and w does
// not cycle windows that all read the same.
func TestOverviewLabelsAnIgnoredScoreWindow(t *testing.T) {
	a := newFixtureApp(t, 160, 48, 0)
	var msgs []hub.Msg
	for _, w := range model.ScoreWindows {
		msgs = append(msgs, hub.ScoresMsg{Scores: model.Scores{Window: w, Counts: [5]int{50, 165, 30, 17, 9}, Total: 271, At: fixtureNow, WindowIgnored: true}})
	}
	drive(a, hubMsg(msgs))
	view := a.View()
	if !strings.Contains(view, "OneLogin's own window (it ignores the one asked)") || strings.Contains(view, "24h (w)") {
		t.Fatalf("label:\n%s", view)
	}
	keysOf(a, "w")
	if after := a.View(); after != view {
		t.Errorf("w changed the screen though every window is the same reading")
	}
}
