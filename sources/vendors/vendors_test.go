package vendors

import (
	"slices"
	"testing"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/vendor"
)

// Every vendor describes itself whole, under the name the model and the
// store know it by.
func TestDescriptorsAreComplete(t *testing.T) {
	if got := Names(); !slices.Equal(got, model.Vendors[:]) {
		t.Errorf("vendors %v, the model's %v", got, model.Vendors)
	}
	for _, d := range All {
		if d.Display == "" || d.Short == "" || len(d.Config.Keys) == 0 || d.New == nil || d.Level == nil || d.Summary == nil || d.Tenant == nil {
			t.Errorf("%s: incomplete descriptor %+v", d.Name, d)
		}
		interval := slices.ContainsFunc(d.Config.Keys, func(k vendor.Key) bool { return k.Kind == vendor.Interval })
		if interval != d.Polled || d.Schedule.Min <= 0 {
			t.Errorf("%s: polled %v, interval key %v, minimum %s", d.Name, d.Polled, interval, d.Schedule.Min)
		}
	}
}
