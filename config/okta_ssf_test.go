package config

import (
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/vendors"
)

// Okta's push path: push defaults to risk-events; push: ssf needs its
// issuer, key file and kid, and makes the API credential optional; the
// ssf_ keys without it, and an unknown path, are problems at their key.
func TestOktaPushPath(t *testing.T) {
	cfg, _ := mustParse(t, "sources:\n  okta: {base_url: https://acme.okta.com, api_token: \"${OKTA_API_TOKEN}\"}\n", testEnv(nil))
	if c := okta.ConfigOf(cfg.Source("okta"), httpx.Options{}); c.PushPath() != okta.PushRiskEvents {
		t.Fatalf("default push %q", c.PushPath())
	}
	cfg, _ = mustParse(t, "sources:\n  okta: {base_url: https://acme.okta.com, push: ssf, ssf_issuer: https://risktop.example/ssf, ssf_key_file: /run/secrets/okta.pem, ssf_key_id: k1}\n", testEnv(nil))
	c := okta.ConfigOf(cfg.Source("okta"), httpx.Options{})
	if c.PushPath() != okta.PushSSF || c.SSFIssuer != "https://risktop.example/ssf" || c.SSFKeyID != "k1" || c.SSFKeyPEM.IsZero() || c.Mode() != "none" {
		t.Fatalf("ssf config %+v", c)
	}
	if _, err := okta.New(c); err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "summary", cfg.String())

	for _, tc := range []struct{ name, section, path, want string }{
		{"unknown path", "{base_url: https://acme.okta.com, api_token: \"${OKTA_API_TOKEN}\", push: webhook}", "sources.okta.push", `"webhook" is not a push path; use risk-events`},
		{"ssf without issuer", "{base_url: https://acme.okta.com, push: ssf, ssf_key_file: /run/secrets/okta.pem, ssf_key_id: k1}", "sources.okta.ssf_issuer", "required with push: ssf"},
		{"ssf without key", "{base_url: https://acme.okta.com, push: ssf, ssf_issuer: i, ssf_key_id: k1}", "sources.okta.ssf_key_file", "RSA 2048+ (RS256) or EC P-256"},
		{"ssf without kid", "{base_url: https://acme.okta.com, push: ssf, ssf_issuer: i, ssf_key_file: /run/secrets/okta.pem}", "sources.okta.ssf_key_id", "kid"},
		{"ssf keys on risk-events", "{base_url: https://acme.okta.com, api_token: \"${OKTA_API_TOKEN}\", ssf_issuer: i}", "sources.okta.ssf_issuer", "is for push: ssf"},
		{"ssf key not a key", "{base_url: https://acme.okta.com, push: ssf, ssf_issuer: i, ssf_key_file: /run/secrets/not-a-key, ssf_key_id: k1}", "sources.okta.ssf_key_file", "holds no PEM private key; expected the SET signing key"},
	} {
		_, _, err := Parse("c.yaml", []byte("sources:\n  okta: "+tc.section+"\n"), testEnv(nil), vendors.All)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		found := false
		for _, p := range problems(t, err) {
			if strings.HasPrefix(p.Path, tc.path) && strings.Contains(p.Message, tc.want) {
				found = true
			}
			assertNoSecret(t, tc.name, p.String())
		}
		if !found {
			t.Errorf("%s: no problem at %s with %q in:\n%v", tc.name, tc.path, tc.want, err)
		}
	}
}
