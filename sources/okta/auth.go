package okta

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
)

const (
	tokenPath = "/oauth2/v1/token" // the org authorization server, not /oauth2/default
	tokenOp   = "POST " + tokenPath

	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	assertionLifetime   = 5 * time.Minute // Okta refuses assertions that live over an hour
	tokenSkew           = time.Minute     // replace a token this long before it expires
	minKeyBits          = 2048
)

// authMode is an httpx.Authorizer that the client drives itself (see do).
type authMode interface {
	httpx.Authorizer
	// ready makes sure a credential for ctx's scope is at hand, minting one
	// if needed, so a token-endpoint failure reaches the caller unaltered.
	ready(ctx context.Context) error
	// refused drops the credential for ctx's scope after a 401 and reports
	// whether a fresh one may succeed.
	refused(ctx context.Context) bool
	// canRead reports a credential for the management API.
	canRead() bool
}

// noAuth is push: ssf without an API credential: SETs carry their own
// signature, and nothing else is read.
type noAuth struct{}

func (noAuth) Authorize(context.Context, http.Header) error { return nil }
func (noAuth) Rejected(int, []byte) bool                    { return false }
func (noAuth) ready(context.Context) error                  { return nil }
func (noAuth) refused(context.Context) bool                 { return false }
func (noAuth) canRead() bool                                { return false }

// sswsAuth sends the API token as Okta's own scheme.
type sswsAuth struct{ token secret.Value }

func (a sswsAuth) Authorize(_ context.Context, h http.Header) error {
	h.Set("Authorization", "SSWS "+a.token.Reveal())
	return nil
}

func (sswsAuth) Rejected(int, []byte) bool    { return false }
func (sswsAuth) ready(context.Context) error  { return nil }
func (sswsAuth) refused(context.Context) bool { return false }
func (sswsAuth) canRead() bool                { return true }

// Format keeps the token out of any print.
func (sswsAuth) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("SSWS [redacted]")) }

// oauthAuth is a service app using private_key_jwt: every token request is
// authenticated by a fresh RS256 client assertion, and each scope's access
// token is cached for its lifetime.
type oauthAuth struct {
	clientID string
	keyID    string
	key      *rsa.PrivateKey
	tokenURL string
	http     *httpx.Client
	now      func() time.Time

	mu     sync.Mutex
	caches map[string]*httpx.TokenCache[secret.Value]
}

// Format keeps the key out of any print.
func (a *oauthAuth) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "OAuth service app %s [key redacted]", a.clientID)
}

func (a *oauthAuth) cache(scope string) *httpx.TokenCache[secret.Value] {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.caches == nil {
		a.caches = map[string]*httpx.TokenCache[secret.Value]{}
	}
	c, ok := a.caches[scope]
	if !ok {
		c = &httpx.TokenCache[secret.Value]{
			Mint: func(ctx context.Context) (secret.Value, time.Time, error) { return a.mint(ctx, scope) },
			Skew: tokenSkew,
			Now:  a.now,
		}
		a.caches[scope] = c
	}
	return c
}

func (a *oauthAuth) Authorize(ctx context.Context, h http.Header) error {
	tok, err := a.cache(scopeOf(ctx)).Get(ctx)
	if err != nil {
		return err
	}
	h.Set("Authorization", "Bearer "+tok.Reveal())
	return nil
}

func (a *oauthAuth) Rejected(int, []byte) bool { return false }
func (a *oauthAuth) canRead() bool             { return true }

func (a *oauthAuth) ready(ctx context.Context) error {
	_, err := a.cache(scopeOf(ctx)).Get(ctx)
	return err
}

func (a *oauthAuth) refused(ctx context.Context) bool {
	a.cache(scopeOf(ctx)).Invalidate()
	return true
}

// tokenResponse is the org authorization server's answer.
type tokenResponse struct {
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
}

func (a *oauthAuth) mint(ctx context.Context, scope string) (secret.Value, time.Time, error) {
	assertion, err := a.assertion()
	if err != nil {
		return secret.Value{}, time.Time{}, err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"scope":                 {scope},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {assertion},
	}
	var tr tokenResponse
	// NoRetry: a repeat would replay the assertion's jti, which Okta refuses.
	_, err = a.http.JSON(ctx, httpx.Request{
		Method:      http.MethodPost,
		Path:        tokenPath,
		Body:        []byte(form.Encode()),
		ContentType: "application/x-www-form-urlencoded",
		NoAuth:      true,
		NoRetry:     true,
		Op:          tokenOp,
	}, &tr)
	if err != nil {
		return secret.Value{}, time.Time{}, err
	}
	fail := func(msg string) error {
		return &httpx.Error{Vendor: vendorName, Op: tokenOp, Kind: httpx.KindDecode, Err: errors.New(msg)}
	}
	switch {
	case tr.AccessToken == "":
		return secret.Value{}, time.Time{}, fail("the token response has no access_token")
	case strings.EqualFold(tr.TokenType, "DPoP"):
		return secret.Value{}, time.Time{}, fail(`the service app requires DPoP-bound tokens; untick "Require Demonstrating Proof of Possession (DPoP)" for it`)
	case tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer"):
		return secret.Value{}, time.Time{}, fail(fmt.Sprintf("unexpected token_type %q", truncate(tr.TokenType, 20)))
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = 5 * time.Minute // no lifetime given: keep it briefly
	}
	return secret.New(tr.AccessToken), a.now().Add(life), nil
}

// assertion builds the private_key_jwt client assertion: iss = sub = the
// client id, aud = the token URL, a short life and a random jti.
func (a *oauthAuth) assertion() (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("okta: client assertion id: %w", err)
	}
	now := a.now()
	claims := jwt.MapClaims{
		"iss": a.clientID,
		"sub": a.clientID,
		"aud": a.tokenURL,
		"iat": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
		"jti": hex.EncodeToString(id[:]),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if a.keyID != "" {
		tok.Header["kid"] = a.keyID
	}
	s, err := tok.SignedString(a.key)
	if err != nil {
		return "", errors.New("okta: could not sign the client assertion with PrivateKeyPEM")
	}
	return s, nil
}

// parsePrivateKey reads an RSA key from PKCS#1 or PKCS#8 PEM. Its errors
// name the problem, never the key's bytes.
func parsePrivateKey(v secret.Value) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(v.Reveal())))
	if block == nil {
		return nil, errors.New("okta: PrivateKeyPEM holds no PEM block (want -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		if _, encrypted := block.Headers["DEK-Info"]; encrypted {
			return nil, errors.New("okta: PrivateKeyPEM is encrypted; decrypt it first")
		}
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("okta: PrivateKeyPEM is not a valid PKCS#1 RSA private key")
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("okta: PrivateKeyPEM is not a valid PKCS#8 private key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("okta: PrivateKeyPEM is not an RSA key (it is %s); risktop signs the client assertion with RS256", keyKind(k))
		}
		key = rk
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("okta: PrivateKeyPEM is encrypted; decrypt it first")
	default:
		return nil, fmt.Errorf("okta: PrivateKeyPEM holds a %q PEM block, not a private key", truncate(block.Type, 40))
	}
	if bits := key.N.BitLen(); bits < minKeyBits {
		return nil, fmt.Errorf("okta: PrivateKeyPEM is a %d-bit RSA key; Okta needs at least %d bits", bits, minKeyBits)
	}
	return key, nil
}

func keyKind(k any) string {
	switch fmt.Sprintf("%T", k) {
	case "*ecdsa.PrivateKey":
		return "ECDSA"
	case "ed25519.PrivateKey":
		return "Ed25519"
	}
	return "non-RSA"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
