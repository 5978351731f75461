package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/vendors"
)

func mustParse(t *testing.T, yaml string, env Env) (*Config, []Warning) {
	t.Helper()
	cfg, warns, err := Parse("config.yaml", []byte(yaml), env, vendors.All)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg, warns
}

// newClients runs every enabled vendor's own constructor on the built
// configs: what the config accepts, the clients must accept too.
func newClients(t *testing.T, cfg *Config) {
	t.Helper()
	var opts httpx.Options
	for _, v := range vendors.All {
		if s := cfg.Source(v.Name); s != nil {
			if _, err := v.New(s, opts); err != nil {
				t.Errorf("%s.New: %v", v.Name, err)
			}
		}
	}
}

func TestExampleParses(t *testing.T) {
	cfg, warns := mustParse(t, Example, testEnv(nil))
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if got := cfg.Sources(); !slices.Equal(got, []string{"onelogin", "casb", "cloudflare", "okta"}) {
		t.Errorf("sources = %v, want all four", got)
	}
	if cfg.Source("onelogin").Secret("client_secret").Reveal() != testVars["ONELOGIN_CLIENT_SECRET"] ||
		cfg.Source("casb").Secret("access_secret").Reveal() != testVars["CASB_ACCESS_SECRET"] ||
		cfg.Source("cloudflare").Secret("api_token").Reveal() != testVars["CLOUDFLARE_API_TOKEN"] ||
		cfg.Source("okta").Secret("api_token").Reveal() != testVars["OKTA_API_TOKEN"] {
		t.Error("secrets not expanded from the environment")
	}
	if cfg.Serve != (Serve{IdleTimeout: DefaultIdleTimeout, MaxSessions: DefaultMaxSessions}) {
		t.Errorf("the example's serve: %+v, want the defaults it documents", cfg.Serve)
	}
	if id := cfg.Source("onelogin").String("client_id"); id != "ol-client-id" {
		t.Errorf("client_id = %q", id)
	}
	newClients(t, cfg)
}

func TestExampleNeedsItsVariables(t *testing.T) {
	_, _, err := Parse("example.yaml", []byte(Example), MapEnv(map[string]string{"HOME": "/home/op"}), vendors.All)
	ps := problems(t, err)
	if len(ps) != 6 {
		t.Fatalf("want one problem per variable, got:\n%v", err)
	}
	for _, p := range ps {
		if !strings.Contains(p.Message, "is not set") {
			t.Errorf("unexpected problem %v", p)
		}
	}
}

func TestDefaults(t *testing.T) {
	const base = `
sources:
  onelogin: {base_url: https://acme.onelogin.com, client_id: id, client_secret: "${ONELOGIN_CLIENT_SECRET}"}
  casb: {base_url: https://casb.example.com, access_key: "${CASB_ACCESS_KEY}", access_secret: "${CASB_ACCESS_SECRET}"}
  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token: "${CLOUDFLARE_API_TOKEN}"}
  okta: {base_url: https://acme.okta.com, api_token: "${OKTA_API_TOKEN}"}
`
	cfg, _ := mustParse(t, base, testEnv(nil))
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("refresh", cfg.Refresh, 30*time.Second)
	check("read_only", cfg.ReadOnly, true)
	check("store", cfg.StorePath, "/home/op/.local/state/risktop/risktop.db")
	check("retention", cfg.Retention, 90*24*time.Hour)
	check("onelogin.interval", cfg.Source("onelogin").Duration("interval"), 30*time.Second)
	check("onelogin.backfill", cfg.Source("onelogin").Duration("backfill"), 24*time.Hour)
	check("casb.report", cfg.Source("casb").String("report"), "Userrisk")
	check("casb.interval", cfg.Source("casb").Duration("interval"), 5*time.Minute)
	check("cloudflare.base_url", cfg.Source("cloudflare").String("base_url"), "https://api.cloudflare.com/client/v4")
	check("cloudflare.interval", cfg.Source("cloudflare").Duration("interval"), 60*time.Second)
	check("okta.requests_per_minute", cfg.Source("okta").Int("requests_per_minute"), 3)
	check("okta mode", okta.ConfigOf(cfg.Source("okta"), httpx.Options{}).Mode(), "ssws")
	check("serve.idle_timeout", cfg.Serve.IdleTimeout, 30*time.Minute)
	check("serve.max_sessions", cfg.Serve.MaxSessions, 16)
	newClients(t, cfg)

	// refresh is the default for every source, never below a vendor's own
	// default or safe minimum.
	cfg, _ = mustParse(t, "refresh: 5s\n"+base, testEnv(nil))
	check("onelogin.interval at refresh 5s", cfg.Source("onelogin").Duration("interval"), onelogin.MinInterval)
	check("cloudflare.interval at refresh 5s", cfg.Source("cloudflare").Duration("interval"), 60*time.Second)
	cfg, _ = mustParse(t, "refresh: 10m\nread_only: false\n"+base, testEnv(nil))
	check("onelogin.interval at refresh 10m", cfg.Source("onelogin").Duration("interval"), 10*time.Minute)
	check("casb.interval at refresh 10m", cfg.Source("casb").Duration("interval"), 10*time.Minute)
	check("read_only false", cfg.ReadOnly, false)

	// XDG_STATE_HOME wins when absolute and is ignored when relative.
	cfg, _ = mustParse(t, base, testEnv(withVars(map[string]string{"XDG_STATE_HOME": "/var/state"})))
	check("store with XDG_STATE_HOME", cfg.StorePath, "/var/state/risktop/risktop.db")
	cfg, _ = mustParse(t, base, testEnv(withVars(map[string]string{"XDG_STATE_HOME": "rel"})))
	check("store with relative XDG_STATE_HOME", cfg.StorePath, "/home/op/.local/state/risktop/risktop.db")
	cfg, _ = mustParse(t, "store: ~/data/r.db\n"+base, testEnv(nil))
	check("store with ~", cfg.StorePath, "/home/op/data/r.db")
	cfg, _ = mustParse(t, "store: ''\n"+base, testEnv(nil))
	check("store empty", cfg.StorePath, "/home/op/.local/state/risktop/risktop.db")

	// The audit log is off unless named; exports default under the state dir.
	cfg, _ = mustParse(t, base, testEnv(nil))
	check("audit_log", cfg.AuditLog, "")
	check("export_dir", cfg.ExportDir, "/home/op/.local/state/risktop/exports")
	cfg, _ = mustParse(t, base, testEnv(withVars(map[string]string{"XDG_STATE_HOME": "/var/state"})))
	check("export_dir with XDG_STATE_HOME", cfg.ExportDir, "/var/state/risktop/exports")
	hk, hkErr := DefaultHostKeyPath(func(k string) string { return map[string]string{"XDG_STATE_HOME": "/var/state", "HOME": "/home/op"}[k] })
	check("host key with XDG_STATE_HOME", hk, "/var/state/risktop/ssh_host_ed25519")
	check("host key error", hkErr, nil)
	hk, _ = DefaultHostKeyPath(func(k string) string { return map[string]string{"HOME": "/home/op"}[k] })
	check("host key under HOME", hk, "/home/op/.local/state/risktop/ssh_host_ed25519")
	cfg, _ = mustParse(t, "audit_log: logs/audit.jsonl\nexport_dir: ''\n"+base, testEnv(nil))
	check("relative audit_log", cfg.AuditLog, "logs/audit.jsonl") // relative to the config file's directory, "." here
	check("empty export_dir", cfg.ExportDir, "/home/op/.local/state/risktop/exports")
	cfg, _, err := Parse("/etc/risktop/config.yaml", []byte("audit_log: audit.jsonl\nexport_dir: ~/x\n"+base), testEnv(nil), vendors.All)
	if err != nil {
		t.Fatal(err)
	}
	check("audit_log next to the config", cfg.AuditLog, "/etc/risktop/audit.jsonl")
	check("export_dir with ~", cfg.ExportDir, "/home/op/x")

	// Without HOME there is no default store, and the error says what to set.
	_, _, err = Parse("config.yaml", []byte(base), MapEnv(map[string]string{}), vendors.All)
	if err == nil || !strings.Contains(err.Error(), "neither XDG_STATE_HOME nor HOME is set") ||
		!strings.Contains(err.Error(), "export_dir: no export directory given") {
		t.Errorf("no HOME: %v", err)
	}
}

func TestOptionalValues(t *testing.T) {
	cfg, _ := mustParse(t, `
refresh: 1m
retention: 100d12h
sources:
  onelogin: {base_url: "https://api.eu.onelogin.com/", client_id: id, client_secret: "${ONELOGIN_CLIENT_SECRET}", interval: 45s, backfill: 90d}
  casb: {base_url: https://casb.example.com, access_key: "${CASB_ACCESS_KEY}", access_secret: "${CASB_ACCESS_SECRET}", report: OtherReport, interval: 1m}
  okta: {base_url: https://acme.okta.com, api_token: "${OKTA_API_TOKEN}", requests_per_minute: 30}
`, testEnv(nil))
	if cfg.Refresh != time.Minute || cfg.Retention != 100*24*time.Hour+12*time.Hour {
		t.Errorf("refresh %v retention %v", cfg.Refresh, cfg.Retention)
	}
	ol, cb, ok := cfg.Source("onelogin"), cfg.Source("casb"), cfg.Source("okta")
	if ol.String("base_url") != "https://api.eu.onelogin.com" || ol.Duration("interval") != 45*time.Second || ol.Duration("backfill") != onelogin.MaxBackfill {
		t.Errorf("onelogin %+v", onelogin.ConfigOf(ol, httpx.Options{}))
	}
	if cb.String("report") != "OtherReport" || cb.Duration("interval") != time.Minute || ok.Int("requests_per_minute") != 30 {
		t.Errorf("casb %+v okta %d", casb.ConfigOf(cb, httpx.Options{}), ok.Int("requests_per_minute"))
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "x", "B": "", "LONG_name_2": "y"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	for _, tc := range []struct {
		in, want string
		missing  []string
		err      bool
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "x"},
		{in: "a${A}b${LONG_name_2}c", want: "axbyc"},
		{in: "${B}", want: ""},
		{in: "$$", want: "$"},
		{in: "$${A}", want: "${A}"},
		{in: "pa$word", want: "pa$word"}, // a lone $ stays
		{in: "$A", want: "$A"},           // only the braced form expands
		{in: "end$", want: "end$"},
		{in: "${NOPE}${A}${ALSO}", want: "x", missing: []string{"NOPE", "ALSO"}},
		{in: "${A", err: true},
		{in: "${}", err: true},
		{in: "${A:-d}", err: true},
		{in: "${1A}", err: true},
	} {
		got, _, missing, err := expand(tc.in, lookup)
		if (err != nil) != tc.err {
			t.Errorf("expand(%q) err = %v, want error %v", tc.in, err, tc.err)
			continue
		}
		if !tc.err && (got != tc.want || !slices.Equal(missing, tc.missing)) {
			t.Errorf("expand(%q) = %q missing %v, want %q missing %v", tc.in, got, missing, tc.want, tc.missing)
		}
	}
}

func TestExpansionInValues(t *testing.T) {
	env := testEnv(withVars(map[string]string{"OL_HOST": "acme.onelogin.com", "POLL": "2m", "RPM": "10", "RO": "false"}))
	cfg, _ := mustParse(t, `
read_only: ${RO}
sources:
  onelogin: {base_url: "https://${OL_HOST}", client_id: "${ONELOGIN_CLIENT_ID}", client_secret: "${ONELOGIN_CLIENT_SECRET}", interval: "${POLL}"}
  okta: {base_url: https://acme.okta.com, api_token: "${OKTA_API_TOKEN}", requests_per_minute: "${RPM}"}
`, env)
	if ol := cfg.Source("onelogin"); ol.String("base_url") != "https://acme.onelogin.com" || ol.Duration("interval") != 2*time.Minute ||
		cfg.Source("okta").Int("requests_per_minute") != 10 || cfg.ReadOnly {
		t.Errorf("expanded config: %v", cfg)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	writeFile(t, home, "secrets/onelogin", marker+"ol-file\n", 0o600)
	writeFile(t, home, "secrets/crlf", marker+"crlf\r\n", 0o600)
	writeFile(t, dir, "etc/cf-token", marker+"cf-file", 0o600)
	writeFile(t, dir, "etc/blank", "\n\n", 0o600)
	key := writeFile(t, dir, "etc/okta.pem", rsaKey(), 0o600)
	if err := os.MkdirAll(filepath.Join(dir, "etc/adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := MapEnv(map[string]string{"HOME": home, "ETC": filepath.Join(dir, "etc")})

	path := writeFile(t, dir, "etc/config.yaml", fmt.Sprintf(`
sources:
  onelogin: {base_url: https://acme.onelogin.com, client_id: id, client_secret_file: ~/secrets/onelogin}
  casb: {base_url: https://casb.example.com, access_key_file: ~/secrets/crlf, access_secret_file: "${ETC}/cf-token"}
  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token_file: cf-token}
  okta: {base_url: https://acme.okta.com, client_id: 0oa1, private_key_file: %s, key_id: k1}
`, key), 0o600)
	cfg, warns, err := Load(path, env, vendors.All)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	for name, got := range map[string]string{
		"client_secret_file (~, trailing newline)": cfg.Source("onelogin").Secret("client_secret").Reveal(),
		"access_key_file (CRLF)":                   cfg.Source("casb").Secret("access_key").Reveal(),
		"access_secret_file (${VAR} in the path)":  cfg.Source("casb").Secret("access_secret").Reveal(),
		"api_token_file (relative to the config)":  cfg.Source("cloudflare").Secret("api_token").Reveal(),
	} {
		if !strings.HasPrefix(got, marker) || strings.ContainsAny(got, "\r\n") {
			t.Errorf("%s: got %q", name, got)
		}
	}
	if ok := okta.ConfigOf(cfg.Source("okta"), httpx.Options{}); ok.PrivateKeyPEM.Reveal() != rsaKey()[:len(rsaKey())-1] || ok.Mode() != "oauth" || ok.KeyID != "k1" {
		t.Errorf("okta key not loaded, mode %s", ok.Mode())
	}
	newClients(t, cfg)

	// Unreadable and empty files name the path, never the content.
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "etc/none"), "cannot read " + filepath.Join(dir, "etc/none") + ": no such file or directory"},
		{filepath.Join(dir, "etc/adir"), "cannot read " + filepath.Join(dir, "etc/adir") + ": "},
		{filepath.Join(dir, "etc/blank"), filepath.Join(dir, "etc/blank") + " is empty"},
	} {
		_, _, err := Parse("c.yaml", []byte("sources:\n  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token_file: "+tc.file+"}\n"), env, vendors.All)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("api_token_file %s: got %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	flagFile := writeFile(t, dir, "flag.yaml", "", 0o600)
	envFile := writeFile(t, dir, "env.yaml", "", 0o600)
	xdgFile := writeFile(t, dir, "xdg/risktop/config.yaml", "", 0o600)
	homeFile := writeFile(t, home, ".config/risktop/config.yaml", "", 0o600)
	writeFile(t, home, "mine.yaml", "", 0o600)

	getenv := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	all := map[string]string{"HOME": home, "RISKTOP_CONFIG": envFile, "XDG_CONFIG_HOME": filepath.Join(dir, "xdg")}
	for _, tc := range []struct {
		name, flag string
		vars       map[string]string
		want       string
	}{
		{"flag first", flagFile, all, flagFile},
		{"then RISKTOP_CONFIG", "", all, envFile},
		{"then XDG_CONFIG_HOME", "", map[string]string{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(dir, "xdg")}, xdgFile},
		{"then ~/.config", "", map[string]string{"HOME": home}, homeFile},
		{"relative XDG_CONFIG_HOME ignored", "", map[string]string{"HOME": home, "XDG_CONFIG_HOME": "xdg"}, homeFile},
		{"~ in the flag", "~/mine.yaml", all, filepath.Join(home, "mine.yaml")},
		{"~ in RISKTOP_CONFIG", "", map[string]string{"HOME": home, "RISKTOP_CONFIG": "~/mine.yaml"}, filepath.Join(home, "mine.yaml")},
	} {
		got, err := Find(tc.flag, getenv(tc.vars))
		if err != nil || got != tc.want {
			t.Errorf("%s: Find = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}

	// A named file that is missing is an error naming where it looked, and
	// Find does not fall back to the next place.
	missing := filepath.Join(dir, "nope.yaml")
	for _, tc := range []struct {
		flag string
		vars map[string]string
		want string
	}{
		{missing, all, "--config names " + missing + ", which does not exist"},
		{"", map[string]string{"HOME": home, "RISKTOP_CONFIG": missing}, "RISKTOP_CONFIG names " + missing + ", which does not exist"},
		{dir, all, "which is a directory"},
	} {
		_, err := Find(tc.flag, getenv(tc.vars))
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNotFound) {
			t.Errorf("Find(%q): %v, want %q", tc.flag, err, tc.want)
		}
	}

	// No file anywhere: the default path comes back with ErrNotFound and
	// a pointer to the example.
	empty := filepath.Join(dir, "empty-home")
	got, err := Find("", getenv(map[string]string{"HOME": empty}))
	want := filepath.Join(empty, ".config/risktop/config.yaml")
	if !errors.Is(err, ErrNotFound) || got != want || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "example") {
		t.Errorf("nothing found: %q, %v", got, err)
	}
	if _, err := Find("", getenv(map[string]string{})); err == nil || !strings.Contains(err.Error(), "HOME") {
		t.Errorf("no HOME: %v", err)
	}
}

func TestPermissionWarning(t *testing.T) {
	const literal = `
sources:
  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token: ` + marker + `literal-cf}
  okta:
    base_url: https://acme.okta.com
    api_token: ` + marker + `literal-okta
`
	const fromEnv = `
sources:
  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token: "${CLOUDFLARE_API_TOKEN}"}
`
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		mode       os.FileMode
		warn       bool
	}{
		{"0644 literal", literal, 0o644, true},
		{"0640 literal", literal, 0o640, true},
		{"0600 literal", literal, 0o600, false},
		{"0644 ${VAR} only", fromEnv, 0o644, false},
	} {
		path := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml", tc.body, tc.mode)
		_, warns, err := Load(path, testEnv(nil), vendors.All)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tc.warn {
			if len(warns) != 0 {
				t.Errorf("%s: unexpected warnings %v", tc.name, warns)
			}
			continue
		}
		if len(warns) != 1 {
			t.Fatalf("%s: want one warning, got %v", tc.name, warns)
		}
		w := warns[0].String()
		for _, want := range []string{path + ": ", fmt.Sprintf("mode %04o", tc.mode), "sources.cloudflare.api_token (line 3)", "sources.okta.api_token (line 6)", "chmod 600 " + path, "${VAR}", "_file"} {
			if !strings.Contains(w, want) {
				t.Errorf("%s: warning lacks %q:\n%s", tc.name, want, w)
			}
		}
		assertNoSecret(t, tc.name, w)
	}
}

func TestNoSecretsInOutput(t *testing.T) {
	cfg, _ := mustParse(t, Example, testEnv(nil))
	okCfg, _ := mustParse(t, "sources:\n  okta: {base_url: https://acme.okta.com, client_id: c, private_key_file: /run/secrets/okta.pem}\n", testEnv(nil))
	for _, v := range []any{cfg, *cfg, cfg.Source("onelogin"), cfg.Source("casb"), cfg.Source("cloudflare"), cfg.Source("okta"),
		okCfg.Source("okta"), *okCfg.Source("okta"), casb.ConfigOf(cfg.Source("casb"), httpx.Options{}),
		cloudflare.ConfigOf(cfg.Source("cloudflare"), httpx.Options{}), onelogin.ConfigOf(cfg.Source("onelogin"), httpx.Options{}),
		okta.ConfigOf(cfg.Source("okta"), httpx.Options{}), okta.ConfigOf(okCfg.Source("okta"), httpx.Options{})} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			assertNoSecret(t, fmt.Sprintf(verb+" of %T", v), fmt.Sprintf(verb, v))
		}
	}
	assertNoSecret(t, "String", cfg.String())
	if !strings.Contains(cfg.String(), "onelogin https://acme.onelogin.com every 30s") {
		t.Errorf("String() = %s", cfg.String())
	}
}

func TestProblemsSortedAndComplete(t *testing.T) {
	data, err := os.ReadFile("testdata/several.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Parse("several.yaml", data, testEnv(nil), vendors.All)
	ps := problems(t, err)
	if len(ps) < 8 {
		t.Errorf("want every mistake reported, got %d:\n%v", len(ps), err)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i].Line < ps[i-1].Line {
			t.Errorf("not sorted by line: %v before %v", ps[i-1], ps[i])
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(ps) {
		t.Errorf("want one line per problem, got %d lines for %d problems", len(lines), len(ps))
	}
	if ps[0].Line == 0 || ps[0].Column == 0 || ps[0].Path == "" {
		t.Errorf("problem lacks a place: %+v", ps[0])
	}
}

// The config risktop sim prints must load: its URLs carry path prefixes
// on a loopback http host.
func TestSimBannerConfig(t *testing.T) {
	const url = "http://127.0.0.1:8377"
	key := writeFile(t, t.TempDir(), "okta-sim-key.pem", rsaKey(), 0o600)
	text := fmt.Sprintf(`refresh: 30s
read_only: false
sources:
  onelogin:   {base_url: %s, client_id: %s, client_secret: %s, interval: 30s, backfill: 24h}
  casb:       {base_url: %s, access_key: %s, access_secret: %s, report: Userrisk, interval: 5m}
  cloudflare: {base_url: %s, account_id: %s, api_token: %s, interval: 60s}
  okta:       {base_url: %s, client_id: %s, private_key_file: %s, requests_per_minute: 30, allow_documentation_ranges: true}
`,
		url+"/onelogin", olsim.DefaultClientID, olsim.DefaultClientSecret,
		url+"/casb", casbsim.DefaultAccessKey, casbsim.DefaultAccessSecret,
		url+"/cloudflare/client/v4", cfsim.DefaultAccountID, cfsim.DefaultToken,
		url+"/okta", oktasim.DefaultClientID, key)
	cfg, warns := mustParse(t, text, Env{LookupEnv: MapEnv(testVars).LookupEnv})
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if cfg.Source("casb").String("base_url") != url+"/casb" || cfg.ReadOnly || !cfg.Source("okta").Bool("allow_documentation_ranges") ||
		!okta.ConfigOf(cfg.Source("okta"), httpx.Options{}).AllowDocumentationRanges {
		t.Errorf("config: %v", cfg)
	}
	newClients(t, cfg)
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(filepath.Join(dir, "none.yaml"), Env{}, vendors.All); err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := Load(dir, Env{}, vendors.All); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	// Problems from Load name the path it was given.
	path := writeFile(t, dir, "bad.yaml", "refresh: 1s\n", 0o600)
	_, _, err := Load(path, testEnv(nil), vendors.All)
	if err == nil || !strings.HasPrefix(err.Error(), path+":1:10: refresh:") {
		t.Errorf("Load error: %v", err)
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30s", 30 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"90d", 90 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"1.5d", 36 * time.Hour, false},
		{"0", 0, false},
		{"-1d", -24 * time.Hour, false},
		{"30", 0, true},
		{"d", 0, true},
		{"1d-1h", 0, true},
		{"1d+1h", 0, true},
		{"90days", 0, true},
		{"1h1d", 0, true},
		{"999999999d", 0, true},
		{"", 0, true},
	} {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", 5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Minute: "1h30m",
		90 * 24 * time.Hour: "90d", 36 * time.Hour: "1d12h", 0: "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(want); err != nil || back != d {
			t.Errorf("round trip %q: %v %v", want, back, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"api_tokne":     "api_token",
		"client_secert": "client_secret",
		"Base_URL":      "base_url",
		"intervall":     "interval",
		"colour":        "",
		"x":             "",
	} {
		if got := suggest(in, []string{"base_url", "api_token", "client_secret", "interval"}); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
