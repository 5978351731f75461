package okta

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sanitize/hostile"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// Every corpus entry in every text field of both error shapes Okta uses
// (the API error with its causes, and the token endpoint's OAuth error):
// the error and its parts are clean and still say what went wrong.
func TestEveryErrorShapeWithEveryHostileString(t *testing.T) {
	c := &Client{cfg: Config{APIToken: secret.New("x")}}
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	for _, h := range sanitize.Hostile() {
		for _, body := range []string{
			`{"errorCode":` + q(h.Raw+"E0000001") + `,"errorSummary":` + q(h.Raw+"Api validation failed") +
				`,"errorLink":` + q(h.Raw+"E0000001") + `,"errorId":` + q(h.Raw+"oae1") +
				`,"errorCauses":[{"errorSummary":` + q(h.Raw+"ip: not an address") + `}]}`,
			`{"error":` + q(h.Raw+"invalid_client") + `,"error_description":` + q(h.Raw+"Api validation failed") + `}`,
		} {
			err, _ := c.decodeError(400, nil, []byte(body))
			if err == nil {
				t.Fatalf("%s: no error from %s", h.Name, body[:40])
			}
			hostile.AssertClean(t, h.Name, err)
			if msg := err.Error(); !sanitize.Valid(msg) || !strings.Contains(msg, "Api validation failed") && !strings.Contains(msg, sanitize.Ellipsis) {
				t.Errorf("%s: %q", h.Name, msg)
			}
		}
	}
}

// The providers list under the hostile knob: every string clean, and the
// attribution sentence built from a hostile name is clean too.
func TestHostileProvidersEveryString(t *testing.T) {
	e := newEnv(t, nil)
	e.sim.Faults().Set(simkit.Faults{Hostile: true})
	c := e.oauthClient(t, nil)
	ps, err := c.Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hostile.AssertClean(t, "providers", ps) < 2*len(ps) {
		t.Fatal("too few strings checked")
	}
	for _, p := range ps {
		for _, a := range []Action{ActionEnforceAndLog, ActionLogOnly, ActionNone, "weird", ""} {
			q := p
			q.Action = a
			for _, id := range []string{q.ClientID, "someone-else", ""} {
				if at := FindProvider([]Provider{q}, id); !sanitize.Valid(at.Detail) {
					t.Errorf("detail %q", at.Detail)
				}
			}
		}
	}
}
