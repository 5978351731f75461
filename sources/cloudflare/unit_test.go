package cloudflare_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/risktop/risktop/sources/httpx/httpxtest"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/secret"
)

type sleeps = httpxtest.Waits

func TestParseRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	type want struct {
		ok        bool
		remaining int
		limit     int
		reset     time.Duration // from now; -1: none
		policy    string
	}
	cases := []struct {
		name string
		hdr  map[string][]string
		want want
	}{
		{"documented form",
			map[string][]string{"Ratelimit": {`"default";r=1199;t=300`}, "Ratelimit-Policy": {`"default";q=1200;w=300`}},
			want{true, 1199, 1200, 300 * time.Second, "default: 1200 requests per 5m0s"}},
		{"parameters reordered, spaces",
			map[string][]string{"Ratelimit": {` "default" ; t=42 ; r=7 `}, "Ratelimit-Policy": {`"default"; w=300; q=1200`}},
			want{true, 7, 1200, 42 * time.Second, "default: 1200 requests per 5m0s"}},
		{"unquoted name",
			map[string][]string{"Ratelimit": {`default;r=5;t=1`}, "Ratelimit-Policy": {`default;q=10;w=60`}},
			want{true, 5, 10, time.Second, "default: 10 requests per 1m0s"}},
		{"no policy header",
			map[string][]string{"Ratelimit": {`"default";r=3;t=9`}},
			want{true, 3, 0, 9 * time.Second, ""}},
		{"no reset",
			map[string][]string{"Ratelimit": {`"default";r=3`}},
			want{true, 3, 0, -1, ""}},
		{"zero remaining is kept",
			map[string][]string{"Ratelimit": {`"default";r=0;t=300`}},
			want{true, 0, 0, 300 * time.Second, ""}},
		{"two limits: the tighter wins, with its own policy",
			map[string][]string{"Ratelimit": {`"default";r=900;t=200, "burst";r=2;t=1`},
				"Ratelimit-Policy": {`"default";q=1200;w=300, "burst";q=20;w=1`}},
			want{true, 2, 20, time.Second, "burst: 20 requests per 1s"}},
		{"two header lines",
			map[string][]string{"Ratelimit": {`"default";r=900;t=200`, `"burst";r=50;t=1`}},
			want{true, 50, 0, time.Second, ""}},
		{"policy named differently: the only one is used",
			map[string][]string{"Ratelimit": {`"default";r=10;t=5`}, "Ratelimit-Policy": {`"user";q=1200;w=300`}},
			want{true, 10, 1200, 5 * time.Second, "user: 1200 requests per 5m0s"}},
		{"older draft in one header",
			map[string][]string{"Ratelimit": {`limit=100, remaining=50, reset=30`}},
			want{true, 50, 100, 30 * time.Second, ""}},
		{"older draft policy",
			map[string][]string{"Ratelimit": {`"x";r=4;t=2`}, "Ratelimit-Policy": {`100;w=60`}},
			want{true, 4, 100, 2 * time.Second, "policy: 100 requests per 1m0s"}},
		{"older draft separate headers",
			map[string][]string{"Ratelimit-Limit": {"1200"}, "Ratelimit-Remaining": {"17"}, "Ratelimit-Reset": {"60"}},
			want{true, 17, 1200, time.Minute, ""}},
		{"fractional reset",
			map[string][]string{"Ratelimit": {`"default";r=1;t=1.5`}},
			want{true, 1, 0, 1500 * time.Millisecond, ""}},
		{"negative remaining clamps to zero",
			map[string][]string{"Ratelimit": {`"default";r=-3;t=1`}},
			want{true, 0, 0, time.Second, ""}},
		{"garbage remaining is not a zero budget",
			map[string][]string{"Ratelimit": {`"default";r=lots;t=1`}},
			want{false, 0, 0, -1, ""}},
		{"policy alone says nothing about what is left",
			map[string][]string{"Ratelimit-Policy": {`"default";q=1200;w=300`}},
			want{false, 0, 0, -1, ""}},
		{"absent", map[string][]string{}, want{false, 0, 0, -1, ""}},
		{"empty", map[string][]string{"Ratelimit": {""}}, want{false, 0, 0, -1, ""}},
		{"quoted name with separators",
			map[string][]string{"Ratelimit": {`"a;b,c";r=8;t=3`}, "Ratelimit-Policy": {`"a;b,c";q=9;w=3`}},
			want{true, 8, 9, 3 * time.Second, "a;b,c: 9 requests per 3s"}},
		{"hostile policy name is cleaned",
			map[string][]string{"Ratelimit": {`"x\x1b]0;pwn\x07";r=1;t=1`}, "Ratelimit-Policy": {`"x\x1b]0;pwn\x07";q=2;w=1`}},
			want{true, 1, 2, time.Second, "x: 2 requests per 1s"}},
		{"absurd reset ignored",
			map[string][]string{"Ratelimit": {`"default";r=1;t=1e30`}},
			want{true, 1, 0, -1, ""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			for k, vs := range c.hdr {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
			rl, ok := cloudflare.ParseRateLimit(h, now)
			if ok != c.want.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, c.want.ok, rl)
			}
			if !ok {
				return
			}
			var reset time.Duration = -1
			if !rl.Reset.IsZero() {
				reset = rl.Reset.Sub(now)
			}
			if rl.Remaining != c.want.remaining || rl.Limit != c.want.limit || reset != c.want.reset || rl.Policy != c.want.policy {
				t.Fatalf("got remaining %d limit %d reset %v policy %q; want %+v", rl.Remaining, rl.Limit, reset, rl.Policy, c.want)
			}
		})
	}
}

func TestFlattenDetails(t *testing.T) {
	deep := `{"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}`
	many := map[string]int{}
	for i := range 50 {
		many[fmt.Sprintf("k%02d", i)] = i
	}
	manyJSON, _ := json.Marshal(many)
	cases := []struct {
		name  string
		raw   string
		want  string // "key=value" joined by "|"
		trunc bool
	}{
		{"absent", ``, ``, false},
		{"null", `null`, ``, false},
		{"empty object", `{}`, ``, false},
		{"flat", `{"b":"x","a":2}`, `a=2|b=x`, false},
		{"nested and lists", `{"loc":{"city":"Lisbon"},"ips":["192.0.2.1","2001:db8::1"],"ok":true,"n":null,"f":1.50}`,
			`f=1.50|ips[0]=192.0.2.1|ips[1]=2001:db8::1|loc.city=Lisbon|n=null|ok=true`, false},
		{"scalar string", `"just text"`, `value=just text`, false},
		{"scalar number", `42`, `value=42`, false},
		{"top-level list", `[{"a":1},{"a":2}]`, `[0].a=1|[1].a=2`, false},
		{"hostile value and key", `{"na\u001b[2Jme":"\u001b]0;pwn\u0007eve\u202e"}`, `name=eve`, false},
		{"too deep kept as JSON", deep, `a.b.c.d.e.f={"g":1}`, true},
		{"not JSON", `{"a":`, `value={"a":`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, trunc := cloudflare.FlattenDetails(json.RawMessage(c.raw))
			var parts []string
			for _, d := range got {
				parts = append(parts, d.Key+"="+d.Value)
			}
			if s := strings.Join(parts, "|"); s != c.want || trunc != c.trunc {
				t.Fatalf("got %q (truncated %v), want %q (%v)", s, trunc, c.want, c.trunc)
			}
		})
	}
	t.Run("many pairs are capped, by key", func(t *testing.T) {
		got, trunc := cloudflare.FlattenDetails(manyJSON)
		if len(got) != cloudflare.MaxDetails || !trunc || got[0].Key != "k00" || got[len(got)-1].Key != fmt.Sprintf("k%02d", cloudflare.MaxDetails-1) {
			t.Fatalf("%d pairs, truncated %v, first %v last %v", len(got), trunc, got[0], got[len(got)-1])
		}
	})
	t.Run("long value is cut", func(t *testing.T) {
		got, _ := cloudflare.FlattenDetails(json.RawMessage(`{"v":"` + strings.Repeat("x", 10_000) + `"}`))
		if n := utf8.RuneCountInString(got[0].Value); n != cloudflare.MaxDetailValue+1 || !strings.HasSuffix(got[0].Value, sanitize.Ellipsis) {
			t.Fatalf("value of %d runes", n)
		}
	})
	t.Run("huge list does not cost", func(t *testing.T) {
		raw := "[" + strings.Repeat(`{"a":[1,2,3]},`, 20_000) + "1]"
		got, trunc := cloudflare.FlattenDetails(json.RawMessage(raw))
		if len(got) != cloudflare.MaxDetails || !trunc {
			t.Fatalf("%d pairs, truncated %v", len(got), trunc)
		}
	})
}

func TestLevels(t *testing.T) {
	for in, want := range map[string]cloudflare.Level{"low": "low", " Medium ": "medium", "HIGH": "high"} {
		if got, err := cloudflare.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "critical", "hi gh"} {
		if _, err := cloudflare.ParseLevel(bad); err == nil {
			t.Errorf("ParseLevel(%q) accepted", bad)
		}
	}
	if !(cloudflare.LevelLow.Rank() < cloudflare.LevelMedium.Rank() && cloudflare.LevelMedium.Rank() < cloudflare.LevelHigh.Rank()) ||
		cloudflare.Level("critical").Rank() != 0 {
		t.Error("rank order")
	}
}

func TestConfigValidation(t *testing.T) {
	const token = "cf-secret-token-123"
	ok := cloudflare.Config{AccountID: sampleAccount, APIToken: secret.New(token)}
	cases := []struct {
		name string
		mod  func(*cloudflare.Config)
		want string // "" means valid
	}{
		{"defaults", func(*cloudflare.Config) {}, ""},
		{"any token-safe account", func(c *cloudflare.Config) { c.AccountID = "acct-1_test.x~" }, ""},
		{"empty account", func(c *cloudflare.Config) { c.AccountID = "" }, "Config.AccountID is empty"},
		{"account with slash", func(c *cloudflare.Config) { c.AccountID = "a/b" }, "Config.AccountID"},
		{"account with space", func(c *cloudflare.Config) { c.AccountID = "a b" }, "Config.AccountID"},
		{"account dot-dot", func(c *cloudflare.Config) { c.AccountID = ".." }, "Config.AccountID"},
		{"no token", func(c *cloudflare.Config) { c.APIToken = secret.Value{} }, "Config.APIToken is empty"},
		{"token with newline", func(c *cloudflare.Config) { c.APIToken = secret.New(token + "\n") }, "Config.APIToken contains"},
		{"relative base", func(c *cloudflare.Config) { c.BaseURL = "api.cloudflare.com/client/v4" }, "Config.BaseURL"},
		{"ftp base", func(c *cloudflare.Config) { c.BaseURL = "ftp://api.cloudflare.com" }, "Config.BaseURL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.mod(&cfg)
			cl, err := cloudflare.New(cfg)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want %q", err, c.want)
			case err != nil && strings.Contains(err.Error(), token):
				t.Fatalf("error shows the token: %v", err)
			case c.name == "defaults" && cl.AccountID() != sampleAccount:
				t.Fatalf("account %q", cl.AccountID())
			}
		})
	}
	for _, s := range []string{fmt.Sprintf("%v", ok), fmt.Sprintf("%+v", ok), fmt.Sprintf("%#v", ok)} {
		if strings.Contains(s, token) {
			t.Fatalf("config prints the token: %s", s)
		}
	}
	b, _ := json.Marshal(ok)
	if strings.Contains(string(b), token) {
		t.Fatalf("config JSON shows the token: %s", b)
	}
}

func TestNothingIsSentForBadIDsOrACanceledContext(t *testing.T) {
	// The default base URL is used here; nothing reaches it.
	cl, err := cloudflare.New(cloudflare.Config{AccountID: sampleAccount, APIToken: secret.New("t")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = cl.Summary(ctx)
	if httpx.KindOf(err) != httpx.KindCanceled {
		t.Fatalf("canceled call: %v", err)
	}
	if _, err := cl.User(context.Background(), ".."); err == nil {
		t.Fatal("user id .. accepted")
	}
	if _, err := cl.User(context.Background(), "  "); err == nil {
		t.Fatal("blank user id accepted")
	}
}
