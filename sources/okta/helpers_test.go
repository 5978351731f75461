package okta

import (
	"crypto/rsa"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// t0 is a whole second, so X-Rate-Limit-Reset (epoch seconds) is exact.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// A 2048-bit key takes a while under -race; one per test binary is enough.
var (
	keyOnce sync.Once
	keyVal  *rsa.PrivateKey
	keyPEM  []byte
	keyErr  error
)

func testKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	keyOnce.Do(func() { keyVal, keyPEM, keyErr = oktasim.GenerateKey() })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return keyVal, keyPEM
}

type sleeps = httpxtest.Waits

type env struct {
	clock  *simkit.ManualClock
	sim    *oktasim.Server
	srv    *httptest.Server
	sleeps *sleeps
	pem    []byte
	base   string
}

// newEnv serves a simulated org at /okta with the test key registered for
// oktasim.DefaultClientID; mod adjusts the options first.
func newEnv(t *testing.T, mod func(*oktasim.Options)) *env {
	t.Helper()
	key, pem := testKey(t)
	clock := simkit.NewManualClock(t0)
	world := simkit.NewWorld(simkit.Options{Seed: 7, People: 20, History: time.Hour, Clock: clock})
	opts := oktasim.Options{
		BasePath:  "/okta",
		ClientID:  oktasim.DefaultClientID,
		PublicKey: &key.PublicKey,
		KeyID:     oktasim.DefaultKeyID,
	}
	if mod != nil {
		mod(&opts)
	}
	sim := oktasim.New(world, opts)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return &env{clock: clock, sim: sim, srv: srv, sleeps: &sleeps{Advance: clock.Advance}, pem: pem, base: srv.URL + "/okta"}
}

func (e *env) httpOptions() httpx.Options {
	return httpx.Options{Sleep: e.sleeps.Sleep, Now: e.clock.Now, Timeout: 5 * time.Second}
}

// oauthClient is a service-app client; mod adjusts the config.
func (e *env) oauthClient(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:       e.base,
		ClientID:      oktasim.DefaultClientID,
		PrivateKeyPEM: secret.New(string(e.pem)),
		KeyID:         oktasim.DefaultKeyID,
		HTTP:          e.httpOptions(),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) sswsClient(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: e.base, APIToken: secret.New(oktasim.DefaultAPIToken), HTTP: e.httpOptions()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oneEvent is a valid single-event payload.
func oneEvent(now time.Time, subjects ...RiskSubject) []RiskEvent {
	if len(subjects) == 0 {
		subjects = []RiskSubject{{IP: "203.0.113.9", RiskLevel: High, Message: "credential stuffing"}}
	}
	return []RiskEvent{{Timestamp: now, ExpiresAt: now.Add(time.Hour), Subjects: subjects}}
}
