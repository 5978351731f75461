package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/sim"
	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/olsim"
	"github.com/risktop/risktop/sources/sim/simkit"
)

// startSim serves a small simulated tenant on loopback and returns it with
// the file holding its Okta key.
func startSim(t testing.TB) (*sim.Server, string) {
	t.Helper()
	srv, err := sim.Start("127.0.0.1:0", sim.Options{World: simkit.Options{Seed: 3, People: 40, History: 2 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	keyFile := filepath.Join(t.TempDir(), "okta.pem")
	if err := os.WriteFile(keyFile, srv.OktaKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, keyFile
}

// writeConfig writes a private config file (no permission warning) with
// a store under the test's temp dir.
func writeConfig(t testing.TB, text string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "risktop.yaml")
	text += "store: " + filepath.Join(dir, "risktop.db") + "\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkRow is one source's row of the table: its marks, by column.
type checkRow struct {
	reachable, authenticated, permitted, headroom string
	line                                          string
}

func checkRows(t *testing.T, out string) map[string]checkRow {
	t.Helper()
	rows := map[string]checkRow{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		switch f[0] {
		case "onelogin", "casb", "cloudflare", "okta":
			rows[f[0]] = checkRow{f[1], f[2], f[3], f[4], l}
		}
	}
	return rows
}

func TestCheckAgainstTheSimulator(t *testing.T) {
	srv, keyFile := startSim(t)
	good := srv.Endpoints().Config(keyFile)
	pem := strings.TrimSpace(string(srv.OktaKeyPEM))
	pemBody := strings.Split(pem, "\n")[1] // a line of the key itself
	const badSecret = "not-the-onelogin-secret-4711"
	secrets := []string{olsim.DefaultClientSecret, casbsim.DefaultAccessKey, casbsim.DefaultAccessSecret,
		cfsim.DefaultToken, cfsim.DefaultTokenNoPII, badSecret, pemBody}

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String()
	ln.Close()

	for _, c := range []struct {
		name   string
		config string
		setup  func(t *testing.T)
		code   int
		want   []string
		rows   map[string]checkRow // "" columns are not asserted
	}{
		{
			name: "healthy", config: good, code: 0,
			want: []string{"All 4 sources ready"},
			rows: map[string]checkRow{
				"onelogin":   {"✓", "✓", "✓", "✓", ""},
				"casb":       {"✓", "✓", "✓", "–", ""},
				"cloudflare": {"✓", "✓", "✓", "✓", ""},
				"okta":       {"✓", "✓", "✓", "✓", ""},
			},
		},
		{
			name:   "cloudflare token without PII read",
			config: strings.Replace(good, cfsim.DefaultToken, cfsim.DefaultTokenNoPII, 1), code: 1,
			want: []string{"lacks 'Zero Trust: PII Read'", "1 of 4 sources has problems"},
			rows: map[string]checkRow{
				"cloudflare": {"✓", "✓", "✗", "✓", ""},
				"onelogin":   {"✓", "✓", "✓", "✓", ""},
			},
		},
		{
			name:   "wrong OneLogin secret",
			config: strings.Replace(good, olsim.DefaultClientSecret, badSecret, 1), code: 1,
			want: []string{olsim.MsgAuthFailure, "check client_id/client_secret"},
			rows: map[string]checkRow{"onelogin": {"✓", "✗", "–", "–", ""}, "okta": {"✓", "✓", "✓", "", ""}},
		},
		{
			name: "CASB drops connections", config: good, code: 1,
			setup: func(t *testing.T) {
				f, _ := srv.Faults(sim.CASB)
				f.Set(simkit.Faults{Refuse: true})
				t.Cleanup(func() { f.Set(simkit.Faults{}) })
			},
			want: []string{"network error"},
			rows: map[string]checkRow{"casb": {"✗", "–", "–", "–", ""}, "cloudflare": {"✓", "✓", "✓", "✓", ""}},
		},
		{
			name: "Okta throttled", config: good, code: 1,
			setup: func(t *testing.T) {
				f, _ := srv.Faults(sim.Okta)
				f.Set(simkit.Faults{Throttle: 10, RetryAfter: 30 * time.Second})
				t.Cleanup(func() { f.Set(simkit.Faults{}) })
			},
			want: []string{"429 Too Many Requests", "retry in 30s"},
			rows: map[string]checkRow{"okta": {"✓", "", "", "✗", ""}},
		},
		{
			name:   "nothing listening",
			config: strings.ReplaceAll(good, srv.URL, deadURL), code: 1,
			want: []string{"connection refused", "4 of 4 sources have problems"},
			rows: map[string]checkRow{"onelogin": {"✗", "–", "–", "–", ""}, "okta": {"✗", "–", "–", "–", ""}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			path := writeConfig(t, c.config)
			var out bytes.Buffer
			code := run(context.Background(), []string{"check", "--config", path, "--timeout", "15s"}, &out, &out)
			text := out.String()
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s", code, c.code, text)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			rows := checkRows(t, text)
			for src, want := range c.rows {
				got, ok := rows[src]
				if !ok {
					t.Errorf("no %s row:\n%s", src, text)
					continue
				}
				for _, col := range []struct{ name, got, want string }{
					{"reachable", got.reachable, want.reachable}, {"authenticated", got.authenticated, want.authenticated},
					{"permitted", got.permitted, want.permitted}, {"headroom", got.headroom, want.headroom},
				} {
					if col.want != "" && col.got != col.want {
						t.Errorf("%s %s = %s, want %s:\n%s", src, col.name, col.got, col.want, got.line)
					}
				}
			}
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("output shows the secret %q:\n%s", s, text)
				}
			}
		})
	}
}

func TestCheckConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"typo", "sources:\n  cloudflare: {account_id: 5e3c1a7b9d2f4e6a8c0b1d3f5a7c9e1b, api_tokne: x}\n",
			[]string{`did you mean "api_token"`, "risktop: 1 problem in ", "; fix it and run again"}},
		{"not yaml", "sources: [\n", []string{"risktop.yaml:"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.text)
			var out bytes.Buffer
			code := run(context.Background(), []string{"check", "--config", path}, &out, &out)
			if code != 2 {
				t.Fatalf("exit %d, want 2:\n%s", code, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			if strings.Contains(out.String(), "SOURCE") {
				t.Errorf("a broken config still ran the checks:\n%s", out.String())
			}
		})
	}
}
