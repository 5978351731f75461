package ui

import (
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/actions"
)

// TestCloudflareReadsWithoutCloudflare: with no actions service, or one
// without Cloudflare, the Behaviors and Integrations tabs say Cloudflare
// is not configured and the drill-down reads no detail; a viewer's
// service reads them.
func TestCloudflareReadsWithoutCloudflare(t *testing.T) {
	noCF, err := actions.New(actions.Options{Store: emptyStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { noCF.Close() })
	for _, c := range []struct {
		name string
		acts Actions
	}{
		{"no service", nil},
		{"service without Cloudflare", noCF},
		{"viewer without Cloudflare", noCF.Viewer()},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newFixtureApp(t, 120, 30, 40)
			setDeps(a, func(d *Deps) { d.Actions = c.acts })
			for _, tab := range []string{"4", "5"} {
				drive(a, press(tab))
				if v := a.View(); !strings.Contains(v, "· Cloudflare is not configured") {
					t.Fatalf("tab %s:\n%s", tab, v)
				}
			}
			keysOf(a, "3", "enter")
			if v := a.View(); !strings.Contains(v, "High  3 events") || strings.Contains(v, "current detail not read") {
				t.Fatalf("drill-down:\n%s", v)
			}
		})
	}
	a := newFixtureApp(t, 120, 30, 40)
	setDeps(a, func(d *Deps) { d.Actions = simReads(t).Viewer() })
	drive(a, press("5"))
	if v := a.View(); !strings.Contains(v, "1 integration") || !strings.Contains(v, "https://acme.okta.com") {
		t.Fatalf("a viewer's integrations:\n%s", v)
	}
	keysOf(a, "3", "enter")
	if v := a.View(); !strings.Contains(v, "current detail not read: cloudflare: GET zt_risk_scoring/cf-0: 404 Not Found") {
		t.Fatalf("a viewer's drill-down:\n%s", v)
	}
}
