package okta

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
)

const testIssuer = "https://risktop.example/ssf"

var (
	ecOnce sync.Once
	ecVal  *ecdsa.PrivateKey
	ecPEM  []byte
)

// testECKey is a P-256 key, SEC 1 "EC PRIVATE KEY" PEM.
func testECKey(t testing.TB) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	ecOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		der, _ := x509.MarshalECPrivateKey(k)
		ecVal, ecPEM = k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	})
	return ecVal, ecPEM
}

// keyFor is the PEM of a real key for alg: RSA 2048 (PKCS#8) or EC P-256.
func keyFor(t testing.TB, alg string) []byte {
	if alg == AlgES256 {
		_, p := testECKey(t)
		return p
	}
	_, p := testKey(t)
	return p
}

func jwksOf(t testing.TB, keyPEM []byte, kid string) []byte {
	t.Helper()
	s, err := NewSETSigner(secret.New(string(keyPEM)), kid)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s.JWKS())
	return b
}

// ssfEnv is a simulated org with a Security Events Provider for
// testIssuer whose JWKS holds keyPEM's public half under kid "k1".
func ssfEnv(t *testing.T, keyPEM []byte, mod func(*oktasim.Options)) *env {
	return newEnv(t, func(o *oktasim.Options) {
		o.SSFProviders = []oktasim.SSFProvider{{Name: "risktop", Issuer: testIssuer, JWKS: jwksOf(t, keyPEM, "k1")}}
		if mod != nil {
			mod(o)
		}
	})
}

func (e *env) ssfClient(t *testing.T, keyPEM []byte, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: e.base, Push: PushSSF, SSFIssuer: testIssuer, SSFKeyPEM: secret.New(string(keyPEM)), SSFKeyID: "k1",
		RequestsPerMinute: MaxRequestsPerMinute, HTTP: e.httpOptions()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Accepted SETs reach the simulator's record: IP risk as ip-change, a
// person's risk as user-risk-change, signed RS256 with RSA 2048 and ES256
// with P-256, through the push budget, with no API credential at all.
func TestSSFPushReachesTheSimulator(t *testing.T) {
	for _, alg := range []string{AlgRS256, AlgES256} {
		t.Run(alg, func(t *testing.T) {
			keyPEM := keyFor(t, alg)
			e := ssfEnv(t, keyPEM, nil)
			c := e.ssfClient(t, keyPEM, nil)
			if c.PushPath() != PushSSF || c.SignalsPerRequest() != 1 || !strings.Contains(c.String(), "no API credential") {
				t.Fatalf("client %s path %s", c, c.PushPath())
			}
			before := c.Available()
			ev := oneEvent(t0, RiskSubject{IP: "203.0.113.9", RiskLevel: High, Message: "credential stuffing"},
				RiskSubject{IP: "2001:db8::7", RiskLevel: Low})
			if err := c.Push(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			if err := c.PushUserRisk(context.Background(), UserRisk{Email: "zoe@example.com", Current: UserRiskHigh, Previous: UserRiskLow, Reason: "Cloudflare High"}); err != nil {
				t.Fatal(err)
			}
			if got := before - c.Available(); got != 3 {
				t.Fatalf("the budget paid %d requests for 3 SETs", got)
			}
			sets := e.sim.SETs()
			if len(sets) != 3 || len(e.sim.Pushed()) != 0 {
				t.Fatalf("%d SETs, %d risk events", len(sets), len(e.sim.Pushed()))
			}
			ip := sets[0]
			if ip.EventType != EventIPChange || ip.Alg != alg || ip.Kid != "k1" || ip.Issuer != testIssuer || ip.Audience != e.base ||
				ip.Event["current_ip_address"] != "203.0.113.9" || ip.Event["previous_ip_address"] != "203.0.113.9" ||
				!strings.Contains(ip.Event["reason_admin"].(map[string]any)["en"].(string), "HIGH: credential stuffing") ||
				!ip.IssuedAt.Equal(t0) {
				t.Fatalf("ip-change %+v", ip)
			}
			if sets[1].Event["current_ip_address"] != "2001:db8::7" || sets[1].JTI == ip.JTI {
				t.Fatalf("second ip-change %+v", sets[1])
			}
			u := sets[2]
			user := u.Event["subject"].(map[string]any)["user"].(map[string]any)
			if u.EventType != EventUserRiskChange || u.Event["current_level"] != "high" || u.Event["previous_level"] != "low" ||
				user["format"] != "email" || user["email"] != "zoe@example.com" {
				t.Fatalf("user-risk-change %+v", u)
			}
		})
	}
}

// A provider registered with a JWKS URL: the simulator fetches the key set
// from it, as Okta does.
func TestSSFProviderWithJWKSURL(t *testing.T) {
	keyPEM := keyFor(t, AlgES256)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwksOf(t, keyPEM, "k1"))
	}))
	defer jwks.Close()
	e := newEnv(t, func(o *oktasim.Options) {
		o.SSFProviders = []oktasim.SSFProvider{{Name: "risktop", Issuer: testIssuer, JWKSURL: jwks.URL + "/jwks.json"}}
	})
	if err := e.ssfClient(t, keyPEM, nil).Push(context.Background(), oneEvent(t0)); err != nil {
		t.Fatal(err)
	}
	if len(e.sim.SETs()) != 1 {
		t.Fatal("not accepted")
	}
}

// Each refusal comes back as its RFC 8935 code, shown in words with what
// to do, and nothing is recorded.
func TestSSFRefusalsInWords(t *testing.T) {
	rsaPEM, ecPEMText := keyFor(t, AlgRS256), keyFor(t, AlgES256)
	// Host rewritten: the org the request reaches is not the one the SET
	// names.
	otherHost := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		r.Host = "other-org.example"
		return http.DefaultTransport.RoundTrip(r)
	})}
	cases := []struct {
		name   string
		sim    func(*oktasim.Options)
		client func(*Config)
		code   string
		words  []string
	}{
		{"unknown issuer", nil, func(c *Config) { c.SSFIssuer = "https://someone-else.example" },
			"invalid_issuer", []string{"its issuer is not a Security Events Provider of this org", "risktop okta ssf-setup", "https://someone-else.example"}},
		{"another key under the kid", nil, func(c *Config) { c.SSFKeyPEM = secret.New(string(ecPEMText)) },
			"invalid_key", []string{"its signing key is unknown or unacceptable", "publish the JWKS"}},
		{"unknown kid", nil, func(c *Config) { c.SSFKeyID = "k2" },
			"invalid_key", []string{"no key with kid", "make ssf_key_id the kid"}},
		{"iat too old (clock behind)", nil, func(c *Config) {
			c.HTTP.Now = func() time.Time { return t0.Add(-10 * time.Minute) }
		}, "invalid_request", []string{"could not be read as a SET, or its event does not match", "issued more than 5m0s ago"}},
		{"wrongly addressed", nil, func(c *Config) { c.HTTP.HTTPClient = otherHost },
			"invalid_audience", []string{"it is addressed to another receiver", "base_url must be the org URL"}},
		{"inactive provider", func(o *oktasim.Options) { o.SSFProviders[0].Inactive = true }, nil,
			"access_denied", []string{"risktop's provider is not allowed to send it", "activate the Security Events Provider"}},
		{"org without SSF", func(o *oktasim.Options) { o.SSFDisabled = true }, nil,
			"access_denied", []string{"Identity Threat Protection"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := ssfEnv(t, rsaPEM, tc.sim)
			c := e.ssfClient(t, rsaPEM, tc.client)
			err := c.Push(context.Background(), oneEvent(t0))
			var se *SETError
			if !errors.As(err, &se) || se.Code != tc.code || se.Status != http.StatusBadRequest {
				t.Fatalf("err %v (%T), want %s", err, err, tc.code)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if len(e.sim.SETs()) != 0 {
				t.Fatal("a refused SET was recorded")
			}
			// The key's material never reaches the error.
			for _, line := range strings.Split(string(rsaPEM), "\n")[1:4] {
				if strings.Contains(err.Error(), line[:20]) {
					t.Fatal("key material in the error")
				}
			}
		})
	}
	// A user-risk push over the Risk Events API is refused before any
	// request, saying what to configure.
	e := newEnv(t, nil)
	c := e.sswsClient(t, nil)
	err := c.PushUserRisk(context.Background(), UserRisk{Email: "a@example.com", Current: UserRiskHigh})
	if err == nil || !strings.Contains(err.Error(), "push: ssf") || e.sim.EventRequests() != 0 {
		t.Fatalf("user risk over risk-events: %v", err)
	}
	// Bad user risk: refused before a request.
	s := ssfEnv(t, rsaPEM, nil)
	sc := s.ssfClient(t, rsaPEM, nil)
	for _, r := range []UserRisk{{Email: "", Current: UserRiskHigh}, {Email: "not an email", Current: UserRiskHigh},
		{Email: "a@example.com", Current: "critical"}, {Email: "a@example.com", Current: UserRiskLow, Previous: "HIGH"}} {
		if err := sc.PushUserRisk(context.Background(), r); err == nil || s.sim.SETRequests() != 0 {
			t.Fatalf("%+v: %v", r, err)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The signer's tokens verify with an independent JWS library, under the
// JWKS's public key, with the header and claims Okta documents.
func TestSETSignerVerifiesIndependently(t *testing.T) {
	rsaKey, rsaPEM := testKey(t)
	ecKey, ecPEMText := testECKey(t)
	for _, tc := range []struct {
		alg string
		pem []byte
		pub any
	}{{AlgRS256, rsaPEM, &rsaKey.PublicKey}, {AlgES256, ecPEMText, &ecKey.PublicKey}} {
		s, err := NewSETSigner(secret.New(string(tc.pem)), "kid-1")
		if err != nil || s.Alg() != tc.alg {
			t.Fatalf("%s: %v %s", tc.alg, err, s.Alg())
		}
		tok, err := s.Sign(SETClaims{Issuer: "iss", Audience: "https://acme.okta.com", IssuedAt: t0, EventType: EventIPChange,
			Event: IPChangeEvent{CurrentIPAddress: "192.0.2.1", PreviousIPAddress: "192.0.2.1", EventTimestamp: t0.Unix(), ReasonAdmin: &Reason{EN: "x"}}})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return tc.pub, nil },
			jwt.WithValidMethods([]string{tc.alg}), jwt.WithoutClaimsValidation())
		if err != nil {
			t.Fatalf("%s: %v", tc.alg, err)
		}
		h := parsed.Header
		cl := parsed.Claims.(jwt.MapClaims)
		ev := cl["events"].(map[string]any)[EventIPChange].(map[string]any)
		if h["typ"] != "secevent+jwt" || h["kid"] != "kid-1" || h["alg"] != tc.alg || cl["iss"] != "iss" || cl["aud"] != "https://acme.okta.com" ||
			cl["iat"].(float64) != float64(t0.Unix()) || len(cl["jti"].(string)) != 32 || ev["current_ip_address"] != "192.0.2.1" {
			t.Fatalf("%s: header %v claims %v", tc.alg, h, cl)
		}
		// The JWKS is the public key only.
		j, _ := json.Marshal(s.JWKS())
		var raw struct{ Keys []map[string]any }
		json.Unmarshal(j, &raw)
		k := raw.Keys[0]
		if k["kid"] != "kid-1" || k["alg"] != tc.alg || k["use"] != "sig" {
			t.Fatalf("jwk %v", k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Fatalf("%s: JWKS has private member %q", tc.alg, private)
			}
		}
		if tc.alg == AlgRS256 {
			d := base64.RawURLEncoding.EncodeToString(rsaKey.D.Bytes())
			if strings.Contains(string(j), d[:16]) || k["n"] != base64.RawURLEncoding.EncodeToString(rsaKey.N.Bytes()) || k["e"] != "AQAB" {
				t.Fatal("RSA JWK wrong or private")
			}
		} else {
			d := base64.RawURLEncoding.EncodeToString(ecKey.D.Bytes())
			if strings.Contains(string(j), d[:16]) || k["crv"] != "P-256" || len(k["x"].(string)) != 43 {
				t.Fatal("EC JWK wrong or private")
			}
		}
		if strings.Contains(fmtAll(s), "PRIVATE") || !strings.Contains(fmtAll(s), "redacted") {
			t.Fatalf("signer prints %q", fmtAll(s))
		}
	}
}

func TestSETSignerRefusesBadKeys(t *testing.T) {
	_, rsaPEM := testKey(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(ed)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	for _, tc := range []struct {
		name, pem, kid, want string
	}{
		{"no kid", string(rsaPEM), "", "SSFKeyID is required"},
		{"not PEM", "hello", "k", "holds no PEM block"},
		{"P-384", pemOf("PRIVATE KEY", p384DER), "k", "ES256 needs P-256"},
		{"RSA 1024", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), "k", "1024-bit RSA key"},
		{"Ed25519", pemOf("PRIVATE KEY", edDER), "k", "Ed25519 key; use RSA (RS256) or EC P-256"},
		{"garbled", strings.Replace(string(rsaPEM), "\n", "\nAAAA", 2), "k", "not a valid PRIVATE KEY"},
		{"certificate", pemOf("CERTIFICATE", []byte{1, 2}), "k", `"CERTIFICATE" PEM block`},
	} {
		_, err := NewSETSigner(secret.New(tc.pem), tc.kid)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Over SSF each request is one SET: a budget of n requests plans n IPs.
func TestSSFPacksOneIPARequest(t *testing.T) {
	keyPEM := keyFor(t, AlgES256)
	c := ssfEnv(t, keyPEM, nil).ssfClient(t, keyPEM, nil)
	sig := []Signal{{IP: "192.0.2.1", Level: Low}, {IP: "192.0.2.2", Level: High}, {IP: "192.0.2.3", Level: Medium}}
	plan := c.PackSignals(sig, 2, t0)
	if len(plan.Requests) != 2 || len(plan.Deferred) != 1 || plan.Deferred[0].IP != "192.0.2.1" ||
		plan.Requests[0][0].Subjects[0].IP != "192.0.2.2" || len(plan.Requests[0]) != 1 || len(plan.Requests[0][0].Subjects) != 1 {
		t.Fatalf("plan %+v", plan)
	}
	if p := Pack(sig, 1, t0); len(p.Requests) != 1 || p.Subjects() != 3 {
		t.Fatalf("risk-events plan %+v", p)
	}
}

// fmtAll is v under every verb a log line might use.
func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}

// With push: ssf and no API credential, the source's poll is healthy and
// says what it cannot check: the SETs are the credential, so nothing to
// read the org with is a choice, not a failing source.
func TestSSFWithoutAPICredentialPollsHealthy(t *testing.T) {
	keyPEM := keyFor(t, AlgES256)
	e := ssfEnv(t, keyPEM, nil)
	note, err := NewSource(e.ssfClient(t, keyPEM, nil)).Poll(context.Background())
	if err != nil || !strings.Contains(note, "push only over SSF") || !strings.Contains(note, "not checked") {
		t.Fatalf("poll: %q, %v", note, err)
	}
}
