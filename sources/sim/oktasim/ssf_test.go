package oktasim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const simIssuer = "https://transmitter.example.com"

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// setFixture registers a provider for simIssuer with an RSA key (kid r1)
// and a P-256 key (kid e1), inline.
func setFixture(t *testing.T, mod func(*Options)) (*fixture, *ecdsa.PrivateKey) {
	t.Helper()
	a, _ := keys(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pad := func(i *big.Int) string { b := make([]byte, 32); i.FillBytes(b); return b64(b) }
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]any{
		{"kty": "RSA", "kid": "r1", "alg": "RS256", "n": b64(a.N.Bytes()), "e": "AQAB"},
		{"kty": "EC", "kid": "e1", "crv": "P-256", "x": pad(ec.X), "y": pad(ec.Y)},
	}})
	f := newFixture(t, func(o *Options) {
		o.SSFProviders = []SSFProvider{{Name: "tx", Issuer: simIssuer, JWKS: jwks}}
		if mod != nil {
			mod(o)
		}
	})
	return f, ec
}

func (f *fixture) claims(jti string) jwt.MapClaims {
	return jwt.MapClaims{"iss": simIssuer, "aud": f.base, "iat": f.clock.Now().Unix(), "jti": jti,
		"events": map[string]any{EventUserRiskChange: map[string]any{
			"current_level": "high", "previous_level": "low", "event_timestamp": f.clock.Now().Unix(),
			"reason_admin": map[string]any{"en": "x"},
			"subject":      map[string]any{"user": map[string]any{"format": "email", "email": "a@example.com"}},
		}}}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	tok.Header["typ"] = "secevent+jwt"
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) postSET(t *testing.T, set string) answer {
	return do(t, "POST", f.base+"/security/api/v1/security-events", "application/secevent+jwt", "", set)
}

// Each SET is checked the way Okta documents and refused with RFC 8935's
// code; an independent signer (golang-jwt) makes the tokens.
func TestSETReceiver(t *testing.T) {
	a, b := keys(t)
	f, ec := setFixture(t, nil)
	ok := sign(t, jwt.SigningMethodRS256, a, "r1", f.claims("j-1"))
	if ans := f.postSET(t, ok); ans.Status != 202 || len(ans.Body) != 0 {
		t.Fatalf("RS256: %d %s", ans.Status, ans.Body)
	}
	if ans := f.postSET(t, sign(t, jwt.SigningMethodES256, ec, "e1", f.claims("j-2"))); ans.Status != 202 {
		t.Fatalf("ES256: %d %s", ans.Status, ans.Body)
	}
	got := f.sim.SETs()
	if len(got) != 2 || got[0].JTI != "j-1" || got[0].EventType != EventUserRiskChange || got[1].Alg != "ES256" || got[1].Kid != "e1" {
		t.Fatalf("record %+v", got)
	}

	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.claims("j-none"))
		tok.Header["typ"] = "secevent+jwt"
		s, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}()
	withClaims := func(jti string, mod func(jwt.MapClaims)) string {
		c := f.claims(jti)
		mod(c)
		return sign(t, jwt.SigningMethodRS256, a, "r1", c)
	}
	cases := []struct {
		name, body, err, desc string
	}{
		{"replayed jti", ok, "invalid_request", "replayed jti"},
		{"unsigned (alg none)", none, "authentication_failed", "not signed"},
		{"signature stripped", strings.Join(strings.Split(ok, ".")[:2], ".") + ".", "authentication_failed", "not signed"},
		{"wrong key", sign(t, jwt.SigningMethodRS256, b, "r1", f.claims("j-3")), "invalid_key", "does not verify"},
		{"unknown kid", sign(t, jwt.SigningMethodRS256, a, "r9", f.claims("j-4")), "invalid_key", `no key with kid "r9"`},
		{"RSA kid, ES256", sign(t, jwt.SigningMethodES256, ec, "r1", f.claims("j-5")), "invalid_key", "is for RS256"},
		{"HS256", sign(t, jwt.SigningMethodHS256, []byte("secret"), "r1", f.claims("j-6")), "invalid_key", "not supported"},
		{"unknown issuer", withClaims("j-7", func(c jwt.MapClaims) { c["iss"] = "https://nobody.example" }), "invalid_issuer", "not a registered"},
		{"wrong audience", withClaims("j-8", func(c jwt.MapClaims) { c["aud"] = "https://other.okta.com" }), "invalid_audience", "not this org"},
		{"expired iat", withClaims("j-9", func(c jwt.MapClaims) { c["iat"] = f.clock.Now().Add(-6 * time.Minute).Unix() }), "invalid_request", "more than 5m0s ago"},
		{"future iat", withClaims("j-10", func(c jwt.MapClaims) { c["iat"] = f.clock.Now().Add(2 * time.Minute).Unix() }), "invalid_request", "in the future"},
		{"no jti", withClaims("", func(jwt.MapClaims) {}), "invalid_request", "'jti'"},
		{"no events", withClaims("j-11", func(c jwt.MapClaims) { c["events"] = map[string]any{} }), "invalid_request", "exactly 1 event"},
		{"bad level", withClaims("j-12", func(c jwt.MapClaims) {
			c["events"].(map[string]any)[EventUserRiskChange].(map[string]any)["current_level"] = "HIGH"
		}), "invalid_request", "currentLevel"},
		{"ip-change without previous", withClaims("j-13", func(c jwt.MapClaims) {
			c["events"] = map[string]any{EventIPChange: map[string]any{"current_ip_address": "192.0.2.1", "event_timestamp": 1, "subject": map[string]any{}, "reason_admin": map[string]any{"en": "x"}}}
		}), "invalid_request", "previousIpAddress"},
		{"no reason", withClaims("j-14", func(c jwt.MapClaims) {
			delete(c["events"].(map[string]any)[EventUserRiskChange].(map[string]any), "reason_admin")
		}), "invalid_request", "reasonAdmin or reasonUser"},
		{"not a JWS", "hello", "invalid_request", "compact JWS"},
	}
	for _, tc := range cases {
		ans := f.postSET(t, tc.body)
		m := map[string]string{}
		json.Unmarshal(ans.Body, &m)
		if ans.Status != 400 || m["err"] != tc.err || !strings.Contains(m["description"], tc.desc) {
			t.Errorf("%s: %d %s, want %s ~%q", tc.name, ans.Status, ans.Body, tc.err, tc.desc)
		}
	}
	if ans := do(t, "POST", f.base+"/security/api/v1/security-events", "application/json", "", ok); ans.JSON(t)["err"] != "invalid_request" {
		t.Fatalf("JSON content type: %s", ans.Body)
	}
	if n := len(f.sim.SETs()); n != 2 {
		t.Fatalf("%d recorded after refusals", n)
	}

	inactive, _ := setFixture(t, func(o *Options) { o.SSFProviders[0].Inactive = true })
	if ans := inactive.postSET(t, sign(t, jwt.SigningMethodRS256, a, "r1", inactive.claims("j"))); ans.JSON(t)["err"] != "access_denied" {
		t.Fatalf("inactive: %s", ans.Body)
	}
}

// The provider list reads and creates providers with Okta's scopes.
func TestSecurityEventsProviders(t *testing.T) {
	f, _ := setFixture(t, nil)
	ans := do(t, "GET", f.base+"/api/v1/security-events-providers", "", ssws, "")
	var ps []ssfProviderJSON
	if err := json.Unmarshal(ans.Body, &ps); err != nil || ans.Status != 200 || len(ps) != 1 || ps[0].Settings["issuer"] != simIssuer ||
		ps[0].Status != "ACTIVE" || !strings.HasPrefix(ps[0].ID, "sse") || ps[0].Type != "okta" {
		t.Fatalf("%d %s", ans.Status, ans.Body)
	}
	if ans := do(t, "GET", f.base+"/api/v1/security-events-providers", "", f.bearer(t, ScopeRiskEvents), ""); ans.Status != 403 {
		t.Fatalf("without the scope: %d", ans.Status)
	}
	body := `{"name":"risktop","type":"okta","settings":{"issuer":"https://risktop.example/ssf","jwks_url":"https://risktop.example/jwks.json"}}`
	ans = do(t, "POST", f.base+"/api/v1/security-events-providers", "application/json", ssws, body)
	if ans.Status != 200 || ans.JSON(t)["status"] != "ACTIVE" {
		t.Fatalf("create: %d %s", ans.Status, ans.Body)
	}
	if ans := do(t, "POST", f.base+"/api/v1/security-events-providers", "application/json", ssws, `{"name":"x","type":"okta","settings":{}}`); ans.Status != 400 {
		t.Fatalf("create without settings: %d", ans.Status)
	}
	json.Unmarshal(do(t, "GET", f.base+"/api/v1/security-events-providers", "", ssws, "").Body, &ps)
	if len(ps) != 2 || ps[1].Settings["jwks_url"] != "https://risktop.example/jwks.json" {
		t.Fatalf("after create: %+v", ps)
	}
	off, _ := setFixture(t, func(o *Options) { o.SSFDisabled = true })
	if ans := do(t, "GET", off.base+"/api/v1/security-events-providers", "", ssws, ""); ans.Status != 403 {
		t.Fatalf("disabled: %d", ans.Status)
	}
	gone := newFixture(t, func(o *Options) { o.RiskEventsGone = true })
	if ans := do(t, "GET", gone.base+"/api/v1/risk/providers", "", ssws, ""); ans.Status != 404 {
		t.Fatalf("risk providers gone: %d", ans.Status)
	}
}
