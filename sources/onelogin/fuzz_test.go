package onelogin

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sanitize/hostile"
	"github.com/risktop/risktop/sources/secret"
)

// The fuzz targets put their input behind the real client (httpx, the
// decoders, sanitize) on an in-process transport. Their seeds run in every
// `go test`; explore with `go test -fuzz=FuzzEventsPage ./sources/onelogin`.
// The property is the same everywhere: no panic, every string returned is
// clean, and an error's text is clean.

// fuzzStatuses maps a fuzzed byte to a status, mostly 200 so the decoders
// get most of the work, and every error status the client handles.
var fuzzStatuses = []int{200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 503}

func fuzzStatus(b byte) int { return fuzzStatuses[int(b)%len(fuzzStatuses)] }

const fuzzToken = `{"access_token":"tok-1","created_at":"2026-11-21T12:00:00.000Z","expires_in":36000,"token_type":"bearer","account_id":55555}`

// fuzzClient answers the token endpoint with token and every other
// request with answer.
func fuzzClient(t testing.TB, token httpxtest.Answer, answer httpxtest.Answer) *Client {
	t.Helper()
	canned := httpxtest.Canned(func(r *http.Request) httpxtest.Answer {
		if r.URL.Path == tokenPath {
			return token
		}
		return answer
	})
	c, err := New(Config{BaseURL: "https://acme.onelogin.com", ClientID: "cid", ClientSecret: secret.New("s"),
		HTTP: httpx.Options{HTTPClient: canned.Client(), Sleep: httpxtest.NoWait, Timeout: 5 * time.Second,
			Now: func() time.Time { return t0 }}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hostileSeeds adds body with every corpus entry put before marker.
func hostileSeeds(f *testing.F, body []byte, marker string) {
	for _, b := range hostile.SeedBodies(f, body, marker) {
		f.Add(byte(0), b)
	}
}

func FuzzEventsPage(f *testing.F) {
	sample := readTestdata(f, "events-sample.json")
	f.Add(byte(0), sample)
	f.Add(byte(0), sample[:len(sample)/2])
	f.Add(byte(0), []byte(`{"status":{"error":true,"code":400,"type":"bad","message":"Invalid cursor"},"data":[]}`))
	f.Add(byte(0), []byte(`{"data":[{"id":1,"resolution":{"a":1},"risk_score":"x"}]}`))
	f.Add(byte(0), []byte(`{"data":[null,1,"s"],"pagination":{"after_cursor":7}}`))
	f.Add(byte(4), readTestdata(f, "error-400.json"))
	f.Add(byte(9), []byte(`<html>502</html>`))
	hostileSeeds(f, sample, "Xavier Wong")
	hostileSeeds(f, sample, "Authentication method: password.")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, httpxtest.Answer{Body: []byte(fuzzToken)}, httpxtest.Answer{Status: fuzzStatus(status), Body: body})
		page, err := c.Events(context.Background(), Query{})
		hostile.CheckResult(t, page, err)
		for _, e := range page.Events {
			for _, l := range e.RiskReasonLines() {
				if !sanitize.Valid(l) {
					t.Fatalf("reason line %q", l)
				}
			}
		}
	})
}

func FuzzEventTypes(f *testing.F) {
	f.Add(byte(0), []byte(`{"status":{"error":false,"code":200,"type":"success","message":"Success"},"data":[{"id":5,"name":"USER_LOGGED_INTO_ONELOGIN","description":"d"},{"id":1,"name":"APP_ADDED_TO_ROLE"}]}`))
	f.Add(byte(0), []byte(`[{"id":1,"name":"APP_ADDED_TO_ROLE","extra":true},{"id":5,"name":"USER_LOGGED_INTO_ONELOGIN","description":"d"}]`))
	f.Add(byte(0), []byte(`{"status":{}}`))
	f.Add(byte(0), []byte(`[{"id":"x"}]`))
	f.Add(byte(0), []byte(`[{"id":1},{"id":1,"name":"dup"}]`))
	f.Add(byte(5), readTestdata(f, "error-401.json"))
	hostileSeeds(f, []byte(`[{"id":5,"name":"NAME","description":"DESC"}]`), "NAME")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, httpxtest.Answer{Body: []byte(fuzzToken)}, httpxtest.Answer{Status: fuzzStatus(status), Body: body})
		cat, err := c.EventTypes(context.Background())
		if err == nil {
			hostile.CheckResult(t, cat.All(), nil)
			for _, et := range cat.All() {
				if !sanitize.Valid(cat.Name(et.ID)) {
					t.Fatalf("name %q", cat.Name(et.ID))
				}
			}
			return
		}
		hostile.CheckResult(t, nil, err)
	})
}

func FuzzScoreInsights(f *testing.F) {
	f.Add(byte(0), readTestdata(f, "score-insights-sample.json"))
	f.Add(byte(0), []byte(`{"scores":{"minimal":-5,"high":"x"},"total":1e99}`))
	f.Add(byte(0), []byte(`{"scores":[1,2],"total":null}`))
	f.Add(byte(0), []byte(`null`))
	f.Add(byte(8), []byte(`{"message":"slow down","name":"TooManyRequests"}`))
	hostileSeeds(f, []byte(`{"message":"MSG","name":"TooManyRequests"}`), "MSG")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, httpxtest.Answer{Body: []byte(fuzzToken)}, httpxtest.Answer{Status: fuzzStatus(status), Body: body})
		si, err := c.ScoreInsights(context.Background(), ScoreQuery{})
		hostile.CheckResult(t, si, err)
	})
}

// FuzzToken fuzzes the token endpoint's answer; the call behind it gets a
// good body, so a token that decodes leads to a real request.
func FuzzToken(f *testing.F) {
	f.Add(byte(0), []byte(fuzzToken))
	f.Add(byte(0), []byte(`{"access_token":"","expires_in":-1}`))
	f.Add(byte(0), []byte(`{"access_token":"a\r\nX-Evil: 1","expires_in":1}`))
	f.Add(byte(0), []byte(`{"access_token":"\u001b]0;t\u0007","expires_in":9223372036854775807}`))
	f.Add(byte(0), []byte(`[]`))
	f.Add(byte(5), []byte(`{"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}`))
	f.Add(byte(4), []byte(`{"error":"invalid_client","error_description":"\u001b[2Jbad"}`))
	hostileSeeds(f, []byte(`{"status":{"error":true,"code":401,"type":"Unauthorized","message":"MSG"}}`), "MSG")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, httpxtest.Answer{Status: fuzzStatus(status), Body: body},
			httpxtest.Answer{Body: readTestdata(t, "score-insights-sample.json")})
		si, err := c.ScoreInsights(context.Background(), ScoreQuery{})
		hostile.CheckResult(t, si, err)
	})
}
