package okta

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// apiErr checks the chain *httpx.Error → *APIError and the essentials.
func apiErr(t *testing.T, err error, status int, code, hintPart string) *APIError {
	t.Helper()
	var he *httpx.Error
	var ae *APIError
	if !errors.As(err, &he) || !errors.As(err, &ae) {
		t.Fatalf("err %v (%T): want *httpx.Error wrapping *APIError", err, err)
	}
	if he.Status != status || ae.Status != status || ae.Code != code || ae.Link != code || !strings.HasPrefix(ae.ID, "oae") {
		t.Fatalf("status %d/%d code %q link %q id %q; want %d %s", he.Status, ae.Status, ae.Code, ae.Link, ae.ID, status, code)
	}
	if !strings.Contains(he.Hint, hintPart) || !strings.Contains(err.Error(), hintPart) {
		t.Fatalf("hint %q lacks %q", he.Hint, hintPart)
	}
	return ae
}

func tokenErr(t *testing.T, err error, status int, code, hintPart string) *TokenError {
	t.Helper()
	var he *httpx.Error
	var te *TokenError
	if !errors.As(err, &he) || !errors.As(err, &te) {
		t.Fatalf("err %v (%T): want *httpx.Error wrapping *TokenError", err, err)
	}
	if he.Status != status || te.Code != code || he.Op != tokenOp {
		t.Fatalf("status %d code %q op %q; want %d %s", he.Status, te.Code, he.Op, status, code)
	}
	if !strings.Contains(he.Hint, hintPart) {
		t.Fatalf("hint %q lacks %q", he.Hint, hintPart)
	}
	return te
}

func TestDocumentedErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("E0000004 bad SSWS token", func(t *testing.T) {
		e := newEnv(t, nil)
		c := e.sswsClient(t, func(cfg *Config) { cfg.APIToken = secret.New("00not-the-token") })
		ae := apiErr(t, c.Push(ctx, oneEvent(t0)), 401, CodeAuthFailed, "SSWS API token")
		if ae.Summary != "Authentication failed" {
			t.Fatalf("summary %q", ae.Summary)
		}
	})

	t.Run("E0000006 feature not enabled", func(t *testing.T) {
		e := newEnv(t, func(o *oktasim.Options) { o.FeatureDisabled = true })
		c := e.oauthClient(t, nil)
		apiErr(t, c.Push(ctx, oneEvent(t0)), 403, CodeForbidden, ScopeRiskEvents)
		apiErr(t, c.Push(ctx, oneEvent(t0)), 403, CodeForbidden, "Okta support")
		_, err := c.Providers(ctx)
		apiErr(t, err, 403, CodeForbidden, ScopeProvidersRead)
	})

	t.Run("E0000047 after the retries", func(t *testing.T) {
		e := newEnv(t, func(o *oktasim.Options) { o.RateLimit = 1 })
		c := e.sswsClient(t, func(cfg *Config) { cfg.HTTP.MaxAttempts = 1 })
		if err := c.Push(ctx, oneEvent(t0)); err != nil {
			t.Fatal(err)
		}
		c2 := e.sswsClient(t, func(cfg *Config) { cfg.HTTP.MaxAttempts = 1 })
		err := c2.Push(ctx, oneEvent(t0))
		ae := apiErr(t, err, 429, CodeRateLimited, "3 risk-event requests a minute")
		if ae.Summary != "API call exceeded rate limit due to too many requests." || len(ae.Causes) != 0 {
			t.Fatalf("%+v", ae)
		}
		if httpx.KindOf(err) != httpx.KindRateLimited || httpx.RetryAfterOf(err) != time.Minute {
			t.Fatalf("kind %v retry-after %v", httpx.KindOf(err), httpx.RetryAfterOf(err))
		}
		if rl, ok := c2.RateLimit(); !ok || rl.Remaining != 0 || !rl.Reset.Equal(t0.Add(time.Minute)) {
			t.Fatalf("rate limit %+v", rl)
		}
	})

	t.Run("E0000047 on the providers list speaks of its own budget", func(t *testing.T) {
		e := newEnv(t, func(o *oktasim.Options) { o.ProvidersLimit = 1 })
		c := e.sswsClient(t, func(cfg *Config) { cfg.HTTP.MaxAttempts = 1 })
		if _, err := c.Providers(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := c.Providers(ctx)
		apiErr(t, err, 429, CodeRateLimited, "the providers list has its own per-minute budget")
		if strings.Contains(err.Error(), "risk-event requests a minute") {
			t.Fatalf("the push budget's advice on a providers 429: %v", err)
		}
	})

	t.Run("E0000047 wait longer than MaxRetryWait is handed back", func(t *testing.T) {
		e := newEnv(t, func(o *oktasim.Options) { o.RateLimit = 1 })
		if err := e.sswsClient(t, nil).Push(ctx, oneEvent(t0)); err != nil {
			t.Fatal(err)
		}
		c := e.sswsClient(t, func(cfg *Config) { cfg.HTTP.MaxRetryWait = 30 * time.Second })
		err := c.Push(ctx, oneEvent(t0))
		if httpx.RetryAfterOf(err) != time.Minute {
			t.Fatalf("retry after %v (%v), want 1m from X-Rate-Limit-Reset", httpx.RetryAfterOf(err), err)
		}
	})

	t.Run("E0000001 server-side validation (clock skew)", func(t *testing.T) {
		// Our clock is an hour and a half behind Okta's: the expiry we
		// think is in the future is already past for Okta.
		e := newEnv(t, nil)
		e.clock.Advance(90 * time.Minute)
		c := e.sswsClient(t, func(cfg *Config) { cfg.HTTP.Now = func() time.Time { return t0 } })
		err := c.Push(ctx, oneEvent(t0))
		ae := apiErr(t, err, 400, CodeValidation, "causes name the rule")
		if len(ae.Causes) != 1 || !strings.Contains(ae.Causes[0], "riskEvents[0].expiresAt: must be in the future") ||
			!strings.Contains(err.Error(), ae.Causes[0]) {
			t.Fatalf("causes %q in %v", ae.Causes, err)
		}
		if e.sim.EventRequests() != 1 {
			t.Fatalf("a non-message 400 was retried: %d requests", e.sim.EventRequests())
		}
	})

	t.Run("E0000007 wrong org URL", func(t *testing.T) {
		e := newEnv(t, nil)
		c := e.sswsClient(t, func(cfg *Config) { cfg.BaseURL = e.srv.URL + "/elsewhere" })
		apiErr(t, c.Push(ctx, oneEvent(t0)), 404, CodeNotFound, "org URL")
	})

	t.Run("invalid_client wrong key", func(t *testing.T) {
		e := newEnv(t, nil)
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		otherPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})
		c := e.oauthClient(t, func(cfg *Config) { cfg.PrivateKeyPEM = secret.New(string(otherPEM)) })
		err = c.Push(ctx, oneEvent(t0))
		te := tokenErr(t, err, 401, "invalid_client", "private_key_jwt")
		if !strings.Contains(te.Description, "signature") {
			t.Fatalf("description %q", te.Description)
		}
		if e.sim.EventRequests() != 0 || c.Available() != 3 {
			t.Fatalf("events sent without a token (%d), or budget spent (%d left)", e.sim.EventRequests(), c.Available())
		}
	})

	t.Run("invalid_client unknown kid", func(t *testing.T) {
		e := newEnv(t, nil)
		c := e.oauthClient(t, func(cfg *Config) { cfg.KeyID = "rotated-away" })
		tokenErr(t, c.Push(ctx, oneEvent(t0)), 401, "invalid_client", "KeyID")
	})

	t.Run("invalid_scope", func(t *testing.T) {
		e := newEnv(t, func(o *oktasim.Options) { o.Scopes = []string{oktasim.ScopeProvidersRead} })
		c := e.oauthClient(t, nil)
		te := tokenErr(t, c.Push(ctx, oneEvent(t0)), 400, "invalid_scope", "grant "+ScopeRiskEvents)
		if !strings.Contains(te.Description, ScopeRiskEvents) {
			t.Fatalf("description %q", te.Description)
		}
		if _, err := c.Providers(ctx); err != nil {
			t.Fatalf("providers with the read scope: %v", err)
		}
	})

	t.Run("token endpoint 503 is not retried with the same assertion", func(t *testing.T) {
		e := newEnv(t, nil)
		e.sim.Faults().Set(simkit.Faults{FailNext: 1})
		c := e.oauthClient(t, nil)
		err := c.Push(ctx, oneEvent(t0))
		var he *httpx.Error
		if !errors.As(err, &he) || he.Op != tokenOp || he.Status != 503 || he.Attempts != 1 {
			t.Fatalf("err %v", err)
		}
		if err := c.Push(ctx, oneEvent(t0)); err != nil {
			t.Fatalf("next push: %v", err)
		}
	})
}

func TestMalformedAndTruncatedBodies(t *testing.T) {
	for _, f := range []simkit.Faults{{Malformed: true}, {Truncate: true}} {
		e := newEnv(t, nil)
		c := e.oauthClient(t, nil)
		// Both scopes' tokens are cached before the bodies go bad.
		if _, err := c.Providers(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := c.Push(context.Background(), oneEvent(t0)); err != nil {
			t.Fatal(err)
		}
		e.sim.Faults().Set(f)
		_, err := c.Providers(context.Background())
		if httpx.KindOf(err) != httpx.KindDecode || !strings.Contains(err.Error(), "JSON") {
			t.Fatalf("%+v: providers err %v", f, err)
		}
		// 202 has no body to spoil.
		if err := c.Push(context.Background(), oneEvent(t0)); err != nil {
			t.Fatalf("%+v: push %v", f, err)
		}

		fresh := e.oauthClient(t, nil)
		err = fresh.Push(context.Background(), oneEvent(t0))
		var he *httpx.Error
		if !errors.As(err, &he) || he.Kind != httpx.KindDecode || he.Op != tokenOp {
			t.Fatalf("%+v: token err %v", f, err)
		}
	}
}

func TestHostileTextIsSanitized(t *testing.T) {
	e := newEnv(t, nil)
	e.sim.Faults().Set(simkit.Faults{Hostile: true})
	c := e.oauthClient(t, nil)
	ps, err := c.Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for _, s := range []string{p.ID, p.Name, p.ClientID, string(p.Action)} {
			if !sanitize.Valid(s) {
				t.Fatalf("dirty provider field %q", s)
			}
		}
	}
	if !strings.Contains(ps[0].Name, "Default") || !strings.Contains(ps[1].Name, "risktop") {
		t.Fatalf("names lost their text: %q %q", ps[0].Name, ps[1].Name)
	}
	a := FindProvider(ps, c.ClientID())
	if !sanitize.Valid(a.Detail) {
		t.Fatalf("detail %q", a.Detail)
	}

	bad := e.sswsClient(t, func(cfg *Config) { cfg.APIToken = secret.New("00wrong") })
	err = bad.Push(context.Background(), oneEvent(t0))
	var ae *APIError
	if !errors.As(err, &ae) || !sanitize.Valid(ae.Summary) || !strings.Contains(ae.Summary, "Authentication failed") || !sanitize.Valid(err.Error()) {
		t.Fatalf("error %q", err)
	}

	wrongKid := e.oauthClient(t, func(cfg *Config) { cfg.KeyID = "nope" })
	err = wrongKid.Push(context.Background(), oneEvent(t0))
	var te *TokenError
	if !errors.As(err, &te) || !sanitize.Valid(te.Description) || !strings.Contains(te.Description, "signature") || !sanitize.Valid(err.Error()) {
		t.Fatalf("token error %q", err)
	}
}

func TestSecretsStayOut(t *testing.T) {
	e := newEnv(t, func(o *oktasim.Options) { o.FeatureDisabled = true })
	const token = "00super-secret-ssws-value"
	ssws := e.sswsClient(t, func(cfg *Config) { cfg.APIToken = secret.New(token) })
	oauth := e.oauthClient(t, nil)
	key, _ := testKey(t)
	keyBits := []string{
		string(e.pem[40:80]), // inside the PEM body
		key.D.String()[:20],
		key.Primes[0].String()[:20],
	}
	var texts []string
	for _, err := range []error{
		ssws.Push(context.Background(), oneEvent(t0)),
		oauth.Push(context.Background(), oneEvent(t0)),
		e.oauthClient(t, func(cfg *Config) { cfg.KeyID = "x" }).Push(context.Background(), oneEvent(t0)),
	} {
		if err == nil {
			t.Fatal("want failures")
		}
		texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
	}
	cfg := Config{BaseURL: e.base, ClientID: "c", PrivateKeyPEM: secret.New(string(e.pem)), APIToken: secret.New(token)}
	texts = append(texts,
		fmt.Sprintf("%v %+v %#v %s", ssws, ssws, ssws, ssws),
		fmt.Sprintf("%v %+v %#v %s", oauth, oauth, oauth, oauth),
		fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg),
		fmt.Sprintf("%v %+v %#v", oauth.auth, oauth.auth, ssws.auth),
	)
	for _, s := range texts {
		for _, secretText := range append(keyBits, token) {
			if strings.Contains(s, secretText) {
				t.Fatalf("secret %q leaked in %q", secretText, s)
			}
		}
	}
}

func TestDecodeErrorShapes(t *testing.T) {
	c := &Client{cfg: Config{APIToken: secret.New("x")}}
	// The E0000047 body exactly as vendors.md §4.5 prints it.
	err, hint := c.decodeError(429, nil, mustRead(t, "testdata/error_e0000047.json"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeRateLimited || ae.Link != "E0000047" || ae.ID != "oae…" ||
		ae.Summary != "API call exceeded rate limit due to too many requests." || len(ae.Causes) != 0 || hint == "" {
		t.Fatalf("%+v %q", err, hint)
	}
	err, _ = c.decodeError(400, nil, []byte(`{"error":"invalid_client","error_description":"bad\u001b[2J assertion"}`))
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_client" || te.Description != "bad assertion" {
		t.Fatalf("%#v", err)
	}
	for _, body := range []string{"", "<html>502</html>", `{"errorCode":`, `[]`} {
		err, hint := c.decodeError(401, nil, []byte(body))
		if err != nil || !strings.Contains(hint, "SSWS") {
			t.Fatalf("body %q: %v %q", body, err, hint)
		}
	}
}

// Token answers the simulator never gives: a DPoP-bound token, and a 200
// without a token.
func TestOddTokenResponses(t *testing.T) {
	_, pemBytes := testKey(t)
	for body, want := range map[string]string{
		`{"token_type":"DPoP","expires_in":3600,"access_token":"x","scope":"okta.riskEvents.manage"}`: "requires DPoP-bound tokens",
		`{"token_type":"Bearer","expires_in":3600,"scope":"okta.riskEvents.manage"}`:                  "no access_token",
		`{"token_type":"MAC","expires_in":3600,"access_token":"x"}`:                                   `unexpected token_type "MAC"`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != tokenPath {
				t.Errorf("request to %s", r.URL.Path)
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}))
		c, err := New(Config{BaseURL: srv.URL, ClientID: "0oa1", PrivateKeyPEM: secret.New(string(pemBytes))})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Push(context.Background(), oneEvent(time.Now()))
		srv.Close()
		if httpx.KindOf(err) != httpx.KindDecode || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), `"x"`) {
			t.Fatalf("%s: %v", body, err)
		}
	}
}
