package okta

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/secret"
)

func TestConfigValidation(t *testing.T) {
	key, pkcs8 := testKey(t)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)})
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	garbled := strings.Replace(string(pkcs8), "\n", "\nAAAA", 2)
	encrypted := "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"

	const org = "https://acme.okta.com"
	oauth := func(pemText string) Config {
		return Config{BaseURL: org, ClientID: "0oa1", PrivateKeyPEM: secret.New(pemText)}
	}
	cases := []struct {
		name string
		cfg  Config
		err  string // "" means New succeeds
	}{
		{"ssws", Config{BaseURL: org, APIToken: secret.New("00tok")}, ""},
		{"oauth pkcs8", oauth(string(pkcs8)), ""},
		{"oauth pkcs1", oauth(string(pkcs1)), ""},
		{"oauth with kid", Config{BaseURL: org, ClientID: "0oa1", PrivateKeyPEM: secret.New(string(pkcs8)), KeyID: "k1"}, ""},
		{"preview org", Config{BaseURL: "https://acme.oktapreview.com", APIToken: secret.New("t")}, ""},
		{"admin host", Config{BaseURL: "https://acme-admin.okta.com", APIToken: secret.New("t")}, `host "acme-admin.okta.com" is the Admin Console; use the org URL https://acme.okta.com`},
		{"admin preview host", Config{BaseURL: "https://acme-admin.oktapreview.com/", APIToken: secret.New("t")}, "https://acme.oktapreview.com"},
		{"no scheme", Config{BaseURL: "acme.okta.com", APIToken: secret.New("t")}, "must be the org URL"},
		{"no base", Config{APIToken: secret.New("t")}, "must be the org URL"},
		{"no credentials", Config{BaseURL: org}, "no credentials: set APIToken (SSWS) or ClientID + PrivateKeyPEM"},
		{"both modes", Config{BaseURL: org, APIToken: secret.New("t"), ClientID: "0oa1", PrivateKeyPEM: secret.New(string(pkcs8))}, "not both"},
		{"client id without key", Config{BaseURL: org, ClientID: "0oa1"}, "PrivateKeyPEM is required with ClientID"},
		{"key without client id", Config{BaseURL: org, PrivateKeyPEM: secret.New(string(pkcs8))}, "ClientID is required with PrivateKeyPEM"},
		{"kid alone", Config{BaseURL: org, KeyID: "k1"}, "ClientID is required"},
		{"rpm 1", Config{BaseURL: org, APIToken: secret.New("t"), RequestsPerMinute: 1}, ""},
		{"rpm 30", Config{BaseURL: org, APIToken: secret.New("t"), RequestsPerMinute: 30}, ""},
		{"rpm 31", Config{BaseURL: org, APIToken: secret.New("t"), RequestsPerMinute: 31}, "RequestsPerMinute 31 must be between 1 and 30"},
		{"rpm negative", Config{BaseURL: org, APIToken: secret.New("t"), RequestsPerMinute: -1}, "RequestsPerMinute -1"},
		{"not PEM", oauth("not a key"), "holds no PEM block"},
		{"garbled PKCS#8", oauth(garbled), "not a valid PKCS#8"},
		{"ECDSA", oauth(string(ecPEM)), "not an RSA key (it is ECDSA)"},
		{"1024-bit", oauth(string(smallPEM)), "1024-bit RSA key; Okta needs at least 2048"},
		{"public key", oauth(string(pubPEM)), `holds a "PUBLIC KEY" PEM block`},
		{"encrypted", oauth(encrypted), "encrypted; decrypt it first"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if tc.err == "" {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			// Errors name the field, never the key.
			for _, line := range strings.Split(strings.TrimSpace(tc.cfg.PrivateKeyPEM.Reveal()), "\n") {
				if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(err.Error(), line[:16]) {
					t.Fatalf("key material in %q", err)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "https://acme.okta.com", APIToken: secret.New("t")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Budget().PerMinute() != DefaultRequestsPerMinute || c.Available() != 3 || c.cfg.HTTP.MaxRetryWait != DefaultMaxRetryWait {
		t.Fatalf("budget %d, available %d, max retry wait %v", c.Budget().PerMinute(), c.Available(), c.cfg.HTTP.MaxRetryWait)
	}
	if c.String() != "okta client for https://acme.okta.com (SSWS token)" {
		t.Fatal(c.String())
	}
}

func TestParseRateLimit(t *testing.T) {
	h := http.Header{}
	if _, ok := parseRateLimit(h, time.Time{}); ok {
		t.Fatal("no headers parsed as a rate limit")
	}
	h.Set("X-Rate-Limit-Limit", "30")
	h.Set("X-Rate-Limit-Remaining", "0")
	h.Set("X-Rate-Limit-Reset", "1772442060") // epoch seconds
	rl, ok := parseRateLimit(h, time.Time{})
	if !ok || rl.Limit != 30 || rl.Remaining != 0 || !rl.Reset.Equal(time.Unix(1772442060, 0)) {
		t.Fatalf("%+v", rl)
	}
	h.Del("X-Rate-Limit-Remaining")
	if rl, _ := parseRateLimit(h, time.Time{}); rl.Remaining != -1 {
		t.Fatalf("missing remaining read as %d, not unknown", rl.Remaining)
	}
}

func TestFindProvider(t *testing.T) {
	def := Provider{ID: "rkpDefault", Name: "Default ", ClientID: "null", Action: ActionLogOnly}
	mine := func(a Action) Provider {
		return Provider{ID: "rkpMine", Name: "risktop", ClientID: "0oaMine", Action: a}
	}
	other := Provider{ID: "rkpOther", Name: "other", ClientID: "0oaOther", Action: ActionEnforceAndLog}
	cases := []struct {
		name      string
		providers []Provider
		clientID  string
		state     AttributionState
		id        string
		detail    string
	}{
		{"ssws has no client id", []Provider{def}, "", NoClientID, "", "SSWS"},
		{"the string null is no client id", []Provider{def}, "null", NoClientID, "", "OAuth"},
		{"not registered, default reusable", []Provider{def, other}, "0oaMine", NotRegistered, "", `PUT {name, clientId, action} on "Default " (rkpDefault)`},
		{"not registered, none", nil, "0oaMine", NotRegistered, "", "POST /api/v1/risk/providers"},
		{"not registered, limit reached", []Provider{other, {ID: "b", ClientID: "x"}, {ID: "c", ClientID: "y"}}, "0oaMine", NotRegistered, "", "Okta's limit"},
		{"enforced", []Provider{def, mine(ActionEnforceAndLog)}, "0oaMine", Enforced, "rkpMine", "enforces"},
		{"log only", []Provider{def, mine(ActionLogOnly)}, "0oaMine", LogOnly, "rkpMine", "PUT /api/v1/risk/providers/rkpMine"},
		{"none", []Provider{mine(ActionNone)}, "0oaMine", Disabled, "rkpMine", "ignored"},
		{"unknown action", []Provider{mine("quarantine")}, "0oaMine", UnknownAction, "rkpMine", `"quarantine"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := FindProvider(tc.providers, tc.clientID)
			if a.State != tc.state || !strings.Contains(a.Detail, tc.detail) {
				t.Fatalf("%v %q", a.State, a.Detail)
			}
			if (a.Provider == nil) != (tc.id == "") || (a.Provider != nil && a.Provider.ID != tc.id) {
				t.Fatalf("provider %+v", a.Provider)
			}
			if a.OK() != (tc.state == Enforced) {
				t.Fatal("OK")
			}
		})
	}
}
