package okta

import (
	"context"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/vendorkit"
)

func section(vals map[string]any) *vendorkit.Section {
	s := vendorkit.NewSection(vendorName)
	s.Set("push", string(PushRiskEvents))
	s.Set("requests_per_minute", DefaultRequestsPerMinute)
	for k, v := range vals {
		s.Set(k, v)
		s.Wrote(k)
	}
	return s
}

// check says which push path the org accepts and recommends one.
func TestCheckNamesThePushPaths(t *testing.T) {
	keyPEM := keyFor(t, AlgES256)
	run := func(e *env, vals map[string]any) vendorkit.CheckResult {
		vals["base_url"] = e.base
		return check(context.Background(), section(vals), e.httpOptions())
	}
	notes := func(r vendorkit.CheckResult) string { return strings.Join(r.Notes, " | ") }

	// Both answer: risk-events works, SSF is recommended.
	e := ssfEnv(t, keyPEM, nil)
	r := run(e, map[string]any{"api_token": secret.New(oktasim.DefaultAPIToken)})
	if r.Failed() || !strings.Contains(notes(r), "risk-events (the Risk Providers API answers), ssf (the Security Events Providers API answers); recommended: push: ssf") {
		t.Fatalf("both: %+v", r)
	}
	// Only SSF: the risk-events row fails and says so.
	gone := ssfEnv(t, keyPEM, func(o *oktasim.Options) { o.RiskEventsGone = true })
	r = run(gone, map[string]any{"api_token": secret.New(oktasim.DefaultAPIToken)})
	if !r.Failed() || !strings.Contains(notes(r), "push paths the org accepts: ssf (") {
		t.Fatalf("ssf only: %+v", r)
	}
	// Only risk-events.
	old := ssfEnv(t, keyPEM, func(o *oktasim.Options) { o.SSFDisabled = true })
	r = run(old, map[string]any{"api_token": secret.New(oktasim.DefaultAPIToken)})
	if r.Failed() || !strings.Contains(notes(r), "recommended: push: risk-events") {
		t.Fatalf("risk-events only: %+v", r)
	}
	// push: ssf: the provider for our issuer is found, or named missing.
	ssf := map[string]any{"api_token": secret.New(oktasim.DefaultAPIToken), "push": string(PushSSF), "ssf_issuer": testIssuer,
		"ssf_key": secret.New(string(keyPEM)), "ssf_key_id": "k1"}
	r = run(e, ssf)
	if r.Failed() || r.Permitted != vendorkit.MarkOK || !strings.Contains(notes(r), `Security Events Provider "risktop"`) {
		t.Fatalf("ssf ready: %+v", r)
	}
	ssf["ssf_issuer"] = "https://nobody.example"
	r = run(e, ssf)
	if !r.Failed() || !strings.Contains(notes(r), "no Security Events Provider has issuer https://nobody.example") {
		t.Fatalf("ssf unknown issuer: %+v", r)
	}
	ssf["ssf_issuer"] = testIssuer
	r = run(old, ssf)
	if !r.Failed() || !strings.Contains(notes(r), "Identity Threat Protection") {
		t.Fatalf("ssf disabled: %+v", r)
	}
	// push: ssf without a credential: a warning, nothing read.
	delete(ssf, "api_token")
	r = run(e, ssf)
	if r.Failed() || r.Permitted != vendorkit.MarkWarn || !strings.Contains(notes(r), "no api_token or OAuth service app") || e.sim.SETRequests() != 0 {
		t.Fatalf("ssf without credential: %+v", r)
	}
}
