package casb

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// Every corpus entry under every key an undocumented CASB error body may
// use, nested or not, and as a body that is not JSON: the error is clean
// and still says what went wrong.
func TestEveryErrorShapeWithEveryHostileString(t *testing.T) {
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	for _, h := range sanitize.Hostile() {
		msg, code := h.Raw+"Report not found", h.Raw+"E404"
		bodies := []string{h.Raw + "Report not found", `{"error":{"message":` + q(msg) + `,"code":` + q(code) + `}}`}
		for _, k := range messageKeys {
			bodies = append(bodies, `{`+q(k)+`:`+q(msg)+`,"errorCode":`+q(code)+`}`)
		}
		for _, b := range bodies {
			err, _ := decodeError(404, nil, []byte(b))
			if s := err.Error(); !sanitize.Valid(s) || !strings.Contains(s, "Report not found") && !strings.Contains(s, sanitize.Ellipsis) {
				t.Errorf("%s: %q from %.60q", h.Name, s, b)
			}
		}
	}
}

// The token endpoint's refusal under the hostile knob reaches the caller
// clean.
func TestHostileTokenErrorIsClean(t *testing.T) {
	e := newEnv(t, casbsim.Options{}, func(c *Config) { c.AccessSecret = secret.New("wrong") })
	e.sim.Faults().Set(simkit.Faults{Hostile: true})
	_, err := e.client.UserRiskReport(context.Background(), Filter{})
	if err == nil || !sanitize.Valid(err.Error()) {
		t.Fatalf("token error %q", err)
	}
}
