package vendors

import (
	"slices"
	"testing"

	"github.com/risktop/risktop/model"
)

// What the dashboard shows of each vendor holds together: a vendor with
// levels has its panel, its column and its place among the others, and
// the Overview's chart and the drill-down's sign-ins have a vendor at most.
func TestInfosAreComplete(t *testing.T) {
	infos := Infos()
	if len(infos) != len(All) {
		t.Fatalf("%d infos for %d vendors", len(infos), len(All))
	}
	scores, signIns := 0, 0
	places := map[int]string{}
	for i, in := range infos {
		if in.Name != All[i].Name {
			t.Errorf("info %d is %s, All's %s", i, in.Name, All[i].Name)
		}
		if in.Scores {
			scores++
		}
		if in.SignIns {
			signIns++
		}
		if len(in.Levels) == 0 {
			if in.LevelsTitle != "" || in.Column != "" || in.ColumnWidth != 0 || in.PerApp {
				t.Errorf("%s: no levels, but a panel, column or per-app views: %+v", in.Name, in)
			}
			continue
		}
		if in.LevelsTitle == "" || in.Column == "" || in.ColumnWidth < len(in.Column) {
			t.Errorf("%s: levels without a panel title or a column that fits its title: %+v", in.Name, in)
		}
		if other, ok := places[in.LevelsPlace]; ok {
			t.Errorf("%s and %s share the place %d", in.Name, other, in.LevelsPlace)
		}
		places[in.LevelsPlace] = in.Name
		if slices.ContainsFunc(in.Levels, func(l model.Level) bool { return l < model.LevelNone || l > model.LevelCritical }) {
			t.Errorf("%s: levels %v off the shared scale", in.Name, in.Levels)
		}
	}
	// The dashboard shows one vendor's score buckets and sign-ins.
	if scores > 1 || signIns > 1 {
		t.Errorf("%d vendors report score buckets and %d sign-ins; the dashboard shows one of each", scores, signIns)
	}
}
