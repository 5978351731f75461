package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// TestPresetsMisbehaveAndClear: each preset makes the real Cloudflare
// client fail the way its name says, "clear" heals, hostile text stays on
// through both, and a wrong vendor or name is refused with the choices.
func TestPresetsMisbehaveAndClear(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fs, _ := f.sim.Faults(Cloudflare)
	fs.Set(simkit.Faults{Hostile: true})
	want := map[string]string{"down": "network error", "503": "503 Service Unavailable", "429": "429 Too Many Requests", "garbled": "malformed response"}
	for _, p := range Presets {
		what, err := f.sim.SetFault(Cloudflare, p.Name)
		if err != nil || what != p.What {
			t.Fatalf("SetFault(%q) = %q, %v", p.Name, what, err)
		}
		got := fs.Get()
		if !got.Hostile {
			t.Errorf("%s: hostile text was switched off", p.Name)
		}
		got.Hostile = false
		if got != p.Faults {
			t.Errorf("%s: faults %+v, want %+v", p.Name, got, p.Faults)
		}
		words, ok := want[p.Name]
		if !ok {
			continue // slow: a 45 s wait is the point, not worth waiting for here
		}
		_, err = f.cloudflare.Summary(ctx)
		if err == nil || !strings.Contains(err.Error(), words) {
			t.Errorf("%s: Summary error %v, want one saying %q", p.Name, err, words)
		}
		if p.Name == "429" && httpx.RetryAfterOf(err) != p.Faults.RetryAfter {
			t.Errorf("429: Retry-After %s, want %s", httpx.RetryAfterOf(err), p.Faults.RetryAfter)
		}
		f.waits.Reset()
	}
	if _, err := f.sim.SetFault(Cloudflare, ClearPreset); err != nil {
		t.Fatal(err)
	}
	if got := fs.Get(); got != (simkit.Faults{Hostile: true}) {
		t.Errorf("after clear: %+v, want hostile text only", got)
	}
	if _, err := f.cloudflare.Summary(ctx); err != nil {
		t.Errorf("after clear: %v", err)
	}
	if _, err := f.sim.SetFault("okay", "down"); err == nil || !strings.Contains(err.Error(), `unknown vendor "okay"`) {
		t.Errorf("unknown vendor: %v", err)
	}
	if _, err := f.sim.SetFault(Okta, "broken"); err == nil || err.Error() != `unknown fault "broken"; one of down, slow, 503, 429, garbled, clear` {
		t.Errorf("unknown fault: %v", err)
	}
}
