package cloudflare_test

import (
	"bytes"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/sanitize/hostile"
	"github.com/risktop/risktop/sources/secret"
)

// The fuzz targets put their input behind the real client on an
// in-process transport; their seeds run in every `go test`. Explore with
// `go test -fuzz=FuzzSummary ./sources/cloudflare`. Property: no panic,
// every returned string clean, every error's text clean.

var fuzzStatuses = []int{200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 503}

func fuzzClient(t testing.TB, status byte, body []byte) *cloudflare.Client {
	t.Helper()
	a := httpxtest.Answer{Status: fuzzStatuses[int(status)%len(fuzzStatuses)], Body: body}
	canned := httpxtest.Canned(func(*http.Request) httpxtest.Answer { return a })
	c, err := cloudflare.New(cloudflare.Config{AccountID: "0123456789abcdef0123456789abcdef", APIToken: secret.New("tok"),
		HTTP: httpx.Options{HTTPClient: canned.Client(), Sleep: httpxtest.NoWait, Timeout: 5 * time.Second, Now: func() time.Time { return t0 }}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func seedFile(f *testing.F, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// addHostile adds body with each corpus entry put before marker.
func addHostile(f *testing.F, body []byte, marker string) {
	for _, b := range hostile.SeedBodies(f, body, marker) {
		f.Add(byte(0), b)
	}
}

func addEnvelopes(f *testing.F) {
	f.Add(byte(0), seedFile(f, "error_4xx.json")) // a 200 that says it failed
	f.Add(byte(6), seedFile(f, "error_4xx.json"))
	f.Add(byte(0), []byte(`{"result":{}}`)) // no success field
	f.Add(byte(0), []byte(`{"success":true,"result":null}`))
	f.Add(byte(0), []byte(`{"success":"yes"}`))
	f.Add(byte(9), []byte(`<html>bad gateway</html>`))
	f.Add(byte(6), []byte(`{"success":false,"errors":[{"code":7003,"message":"\u001b]52;c;eA==\u0007no route","source":{"pointer":"\u202e/x"}}]}`))
}

// FuzzEnvelope is the v4 envelope every call shares (Reset ignores the
// result, so only the envelope and the error path are exercised).
func FuzzEnvelope(f *testing.F) {
	addEnvelopes(f)
	f.Add(byte(0), seedFile(f, "reset_null.json"))
	f.Add(byte(0), seedFile(f, "reset_empty.json"))
	addHostile(f, seedFile(f, "error_4xx.json"), "message")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		err := fuzzClient(t, status, body).Reset(ctx, "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
		hostile.CheckResult(t, nil, err)
	})
}

func FuzzSummary(f *testing.F) {
	addEnvelopes(f)
	s := seedFile(f, "summary.json")
	f.Add(byte(0), s)
	f.Add(byte(0), s[:len(s)/2])
	f.Add(byte(0), bytes.Replace(s, []byte(`"total_count": 2`), []byte(`"total_count": 99`), 1))
	f.Add(byte(0), bytes.Replace(s, []byte(`"2019-12-27T18:11:19.117Z"`), []byte(`"\u001b[2Jyesterday"`), 1))
	f.Add(byte(0), bytes.Replace(s, []byte(`"event_count": 3`), []byte(`"event_count": -3`), 1))
	addHostile(f, s, "Ava Chen")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		sum, err := fuzzClient(t, status, body).Summary(ctx)
		hostile.CheckResult(t, sum, err)
	})
}

func FuzzUserDetail(f *testing.F) {
	addEnvelopes(f)
	u := seedFile(f, "user.json")
	f.Add(byte(0), u)
	f.Add(byte(0), seedFile(f, "user_never_reset.json"))
	f.Add(byte(0), u[:len(u)/2])
	f.Add(byte(0), []byte(`{"success":true,"result":{"events":[{"id":"1","event_details":{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}},{"event_details":"\u001b]0;x\u0007"},{"event_details":[1,[2,[3]]]}],"last_reset_time":"never"}}`))
	addHostile(f, u, "Ava Chen")
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		r, err := fuzzClient(t, status, body).User(ctx, "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
		hostile.CheckResult(t, r, err)
	})
}

func FuzzBehaviors(f *testing.F) {
	addEnvelopes(f)
	b := seedFile(f, "behaviors_get.json")
	f.Add(byte(0), b)
	f.Add(byte(0), seedFile(f, "behaviors_put.json"))
	f.Add(byte(0), []byte(`{"success":true,"result":{"behaviors":{"\u001b[2Jk":{"name":"\u202en","risk_level":"\u0000high"}}}}`))
	f.Add(byte(0), []byte(`{"success":true,"result":{"behaviors":[]}}`))
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		bs, err := fuzzClient(t, status, body).Behaviors(ctx)
		hostile.CheckResult(t, bs, err)
	})
}

func FuzzIntegrations(f *testing.F) {
	addEnvelopes(f)
	f.Add(byte(0), seedFile(f, "integrations_list.json"))
	f.Add(byte(0), seedFile(f, "integration.json"))
	f.Add(byte(0), []byte(`{"success":true,"result":[{"id":"\u001b]8;;x\u0007i","tenant_url":"\u202ehttps://t","created_at":"x"}]}`))
	f.Fuzz(func(t *testing.T, status byte, body []byte) {
		c := fuzzClient(t, status, body)
		list, err := c.Integrations(ctx)
		hostile.CheckResult(t, list, err)
		one, err := c.Integration(ctx, "i-1")
		hostile.CheckResult(t, one, err)
	})
}

// FuzzRateLimitHeaders covers the structured-field parser for the
// Ratelimit and Ratelimit-Policy headers (and the older three headers).
func FuzzRateLimitHeaders(f *testing.F) {
	f.Add(`"default";r=1190;t=290`, `"default";q=1200;w=300`, "")
	f.Add(`r=5, t=30`, `q=10;w=60, "other";q=1`, "")
	f.Add(``, ``, "17")
	f.Add(`"\u001b]0;x\u0007";r=1;t=1e400`, `"\u001b]0;x\u0007";q=NaN;w=-1`, "x")
	f.Add(`"a\"b";r=1`, `"a\"b";q=9;w=9`, "")
	f.Fuzz(func(t *testing.T, rl, policy, remaining string) {
		h := http.Header{}
		h.Set("Ratelimit", rl)
		h.Set("Ratelimit-Policy", policy)
		h.Set("Ratelimit-Remaining", remaining)
		got, ok := cloudflare.ParseRateLimit(h, t0)
		if !ok {
			return
		}
		if !sanitize.Valid(got.Policy) || got.Limit < 0 || got.Remaining < 0 {
			t.Fatalf("%+v", got)
		}
	})
}
