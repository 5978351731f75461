package vendors

import (
	"slices"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Every vendor describes itself whole, under the name the model and the
// store know it by.
func TestDescriptorsAreComplete(t *testing.T) {
	want := []string{"onelogin", "casb", "cloudflare", "okta"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("vendors %v, want %v", got, want)
	}
	for _, d := range All {
		if d.Display == "" || d.Short == "" || len(d.Config.Keys) == 0 || d.New == nil || d.Sources == nil || d.Level == nil ||
			d.Check == nil || d.Summary == nil || d.Tenant == nil {
			t.Errorf("%s: incomplete descriptor %+v", d.Name, d)
		}
		interval := slices.ContainsFunc(d.Config.Keys, func(k vendorkit.Key) bool { return k.Kind == vendorkit.Interval })
		if interval != d.Polled || d.Schedule.Min <= 0 {
			t.Errorf("%s: polled %v, interval key %v, minimum %s", d.Name, d.Polled, interval, d.Schedule.Min)
		}
	}
}

// Each vendor's own levels land on the shared scale (TestLevels in model
// holds the score buckets).
func TestVendorLevels(t *testing.T) {
	level := func(name, raw string, score int) model.Level {
		for _, d := range All {
			if d.Name == name {
				return d.Level(raw, score)
			}
		}
		t.Fatalf("no vendor %s", name)
		return 0
	}
	for _, c := range []struct {
		got, want model.Level
	}{
		{level("onelogin", "", 4), model.LevelNone}, {level("onelogin", "", 76), model.LevelCritical},
		{level("cloudflare", "HIGH", 0), model.LevelHigh}, {level("cloudflare", "extreme", 0), model.LevelUnknown},
		{level("okta", "MEDIUM", 0), model.LevelMedium},
		{level("casb", "Normal", 0), model.LevelNone}, {level("casb", "Critical", 99), model.LevelCritical},
		{level("casb", "Elevated", 80), model.LevelCritical}, {level("casb", "", 30), model.LevelMedium},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
