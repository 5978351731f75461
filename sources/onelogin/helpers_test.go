package onelogin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

const basePath = "/onelogin"

type sleepRecorder = httpxtest.Waits

// fixture is a client talking to the simulator over loopback.
type fixture struct {
	clock  *simkit.ManualClock
	world  *simkit.World
	sim    *olsim.Server
	srv    *httptest.Server
	client *Client
	sleeps *sleepRecorder
}

func newFixture(t *testing.T, opts olsim.Options, mod func(*Config)) *fixture {
	t.Helper()
	f := &fixture{clock: simkit.NewManualClock(t0), sleeps: &sleepRecorder{}}
	f.world = simkit.NewWorld(simkit.Options{Seed: 7, Clock: f.clock, Scenario: true, History: 12 * time.Hour})
	opts.BasePath = basePath
	f.sim = olsim.New(f.world, opts)
	f.srv = httptest.NewServer(f.sim.Handler())
	t.Cleanup(f.srv.Close)
	cfg := Config{
		BaseURL:      f.srv.URL + basePath,
		ClientID:     olsim.DefaultClientID,
		ClientSecret: secret.New(olsim.DefaultClientSecret),
		HTTP:         httpxOptions(f.clock.Now, f.sleeps),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}

// requests returns the simulator's log for one path (without BasePath).
func (f *fixture) requests(path string) []olsim.Served {
	var out []olsim.Served
	for _, r := range f.sim.Log() {
		if r.Path == basePath+path {
			out = append(out, r)
		}
	}
	return out
}

// rawGet sends a request straight to the simulator with a fresh token.
func (f *fixture) rawGet(t *testing.T, path, query string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+basePath+"/auth/oauth2/v2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(olsim.DefaultClientID, olsim.DefaultClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, f.srv.URL+basePath+path+"?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scripted is a stand-in OneLogin that mints "tok-1" and hands every other
// request to h, for bodies the simulator does not produce.
type scripted struct {
	srv    *httptest.Server
	client *Client
	sleeps *sleepRecorder

	mu   sync.Mutex
	reqs []*http.Request
}

const scriptedSecret = "s3cr3t-value-never-printed"

func newScripted(t *testing.T, h http.HandlerFunc) *scripted {
	t.Helper()
	s := &scripted{sleeps: &sleepRecorder{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPath {
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("cid:"+scriptedSecret))
			if r.Header.Get("Authorization") != want {
				w.WriteHeader(401)
				w.Write(readTestdata(t, "error-401.json"))
				return
			}
			io.WriteString(w, `{"access_token":"tok-1","created_at":"2026-11-21T12:00:00.000Z","expires_in":36000,"token_type":"bearer","account_id":55555}`)
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Clone(context.Background()))
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	c, err := New(Config{BaseURL: s.srv.URL, ClientID: "cid", ClientSecret: secret.New(scriptedSecret),
		HTTP: httpxOptions(func() time.Time { return t0 }, s.sleeps)})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *scripted) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.reqs...)
}

func httpxOptions(now func() time.Time, s *sleepRecorder) httpx.Options {
	return httpx.Options{Sleep: s.Sleep, Now: now, Timeout: 5 * time.Second}
}
