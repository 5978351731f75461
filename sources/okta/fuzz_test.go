package okta

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sanitize/hostile"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/oktasim"
)

// The fuzz targets put their input behind the real client on an
// in-process transport; their seeds run in every `go test`. Explore with
// `go test -fuzz=FuzzProviders ./sources/okta`. Property: no panic, every
// returned string clean, every error's text clean.

var fuzzStatuses = []int{200, 200, 200, 400, 401, 403, 404, 429, 500}

func fuzzStatus(b byte) int { return fuzzStatuses[int(b)%len(fuzzStatuses)] }

const fuzzTokenBody = `{"token_type":"Bearer","expires_in":3600,"access_token":"tok","scope":"okta.riskProviders.read okta.riskEvents.manage"}`

// fuzzClient is an OAuth client (sswsOnly: an SSWS one) whose token
// endpoint answers token and every other request answer.
func fuzzClient(t testing.TB, sswsOnly bool, token, answer httpxtest.Answer) *Client {
	t.Helper()
	canned := httpxtest.Canned(func(r *http.Request) httpxtest.Answer {
		if r.URL.Path == tokenPath {
			return token
		}
		return answer
	})
	cfg := Config{BaseURL: "https://acme.okta.com", ClientID: oktasim.DefaultClientID, KeyID: oktasim.DefaultKeyID,
		HTTP: httpx.Options{HTTPClient: canned.Client(), Sleep: httpxtest.NoWait, Timeout: 5 * time.Second, Now: func() time.Time { return t0 }}}
	if sswsOnly {
		cfg.ClientID, cfg.KeyID, cfg.APIToken = "", "", secret.New("00token")
	} else {
		_, pemBytes := testKey(t)
		cfg.PrivateKeyPEM = secret.New(string(pemBytes))
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addHostileErrors(f *testing.F) {
	for _, h := range sanitize.Hostile() {
		if len(h.Raw) > 1000 {
			continue
		}
		b, _ := json.Marshal(map[string]any{"errorCode": "E0000001", "errorSummary": h.Raw + "Api validation failed",
			"errorId": h.Raw, "errorCauses": []map[string]string{{"errorSummary": h.Raw + "subjects[0].ip"}}})
		f.Add(byte(3), b)
	}
}

// FuzzErrorBody: a push answered with an error status and the body.
func FuzzErrorBody(f *testing.F) {
	f.Add(byte(7), mustRead(f, "testdata/error_e0000047.json"))
	f.Add(byte(3), []byte(`{"errorCode":"E0000001","errorSummary":"Api validation failed: message","errorCauses":[{"errorSummary":"message: invalid"}]}`))
	f.Add(byte(4), []byte(`{"error":"invalid_client","error_description":"bad\u001b[2J assertion"}`))
	f.Add(byte(4), []byte(`{"errorCauses":[null,1,{"errorSummary":7}]}`))
	f.Add(byte(8), []byte(`<html>502</html>`))
	f.Add(byte(0), []byte(``))
	addHostileErrors(f)
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, true, httpxtest.Answer{}, httpxtest.Answer{Status: fuzzStatus(status), Body: body})
		err := c.Push(context.Background(), oneEvent(t0))
		hostile.CheckResult(t, nil, err)
		derr, _ := c.decodeError(fuzzStatus(status), nil, body)
		hostile.CheckResult(t, derr, nil)
	})
}

func FuzzProviders(f *testing.F) {
	f.Add(byte(0), []byte(`[{"id":"rpr1","name":"Default ","clientId":"null","action":"log_only","created":"2026-01-01T00:00:00.000Z","lastUpdated":"2026-01-01T00:00:00.000Z"}]`))
	f.Add(byte(0), []byte(`[{"id":"rpr2","name":"risktop","clientId":"0oa1","action":"enforce_and_log"}]`))
	f.Add(byte(0), []byte(`[{"name":"\u001b]0;x\u0007n","clientId":"0oa1","action":"\u202eweird"}]`))
	f.Add(byte(0), []byte(`{"id":"not a list"}`))
	f.Add(byte(0), []byte(`[null,{},[]]`))
	f.Add(byte(5), []byte(`{"errorCode":"E0000006","errorSummary":"You do not have permission"}`))
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		// SSWS: minting signs with RSA, which would slow every run a
		// hundredfold; FuzzToken covers the token path.
		c := fuzzClient(t, true, httpxtest.Answer{}, httpxtest.Answer{Status: fuzzStatus(status), Body: body})
		ps, err := c.Providers(context.Background())
		hostile.CheckResult(t, ps, err)
		if err == nil {
			if a := FindProvider(ps, "0oa1"); !sanitize.Valid(a.Detail) {
				t.Fatalf("attribution %q", a.Detail)
			}
		}
	})
}

// FuzzToken fuzzes the token endpoint's answer; the providers call behind
// it gets a good body.
func FuzzToken(f *testing.F) {
	f.Add(byte(0), []byte(fuzzTokenBody))
	f.Add(byte(0), []byte(`{"token_type":"DPoP","expires_in":3600,"access_token":"x"}`))
	f.Add(byte(0), []byte(`{"token_type":"\u001b]0;MAC\u0007","expires_in":-5,"access_token":"x"}`))
	f.Add(byte(0), []byte(`{"token_type":"Bearer","access_token":"a\r\nX-Evil: 1"}`))
	f.Add(byte(3), []byte(`{"error":"invalid_client","error_description":"\u202eThe client_assertion signature is invalid"}`))
	f.Add(byte(3), []byte(`{"error":"use_dpop_nonce"}`))
	f.Add(byte(0), []byte(`[]`))
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, false, httpxtest.Answer{Status: fuzzStatus(status), Body: body}, httpxtest.Answer{Body: []byte(`[]`)})
		ps, err := c.Providers(context.Background())
		hostile.CheckResult(t, ps, err)
	})
}
