package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/sim/casbsim"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/sim/oktasim"
	"github.com/risktop/risktop/sources/sim/olsim"
)

// check --record against the simulator: every exchange is on disk, private,
// with the answers, and no byte of any secret of the simulator's config.
func TestCheckRecordRedactsSecretsAndKeepsAnswers(t *testing.T) {
	srv, keyFile := startSim(t)
	good := srv.Endpoints().Config(keyFile)
	// Cloudflare by its Global API Key, so both kinds of credential are seen.
	key := strings.Replace(good, "api_token: "+cfsim.DefaultToken, "api_email: "+cfsim.DefaultAPIEmail+", api_key: "+cfsim.DefaultAPIKey, 1)
	if key == good {
		t.Fatalf("the simulator's config has no 'api_token: %s'", cfsim.DefaultToken)
	}
	var secrets []string
	secrets = append(secrets, olsim.DefaultClientSecret, casbsim.DefaultAccessKey, casbsim.DefaultAccessSecret,
		cfsim.DefaultToken, cfsim.DefaultAPIKey, oktasim.DefaultAPIToken)
	for _, line := range strings.Split(strings.TrimSpace(string(srv.OktaKeyPEM)), "\n") {
		if !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}

	for name, config := range map[string]string{"token": good, "global key": key} {
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, config)
			dir := filepath.Join(t.TempDir(), "records")
			var out bytes.Buffer
			code := run(context.Background(), []string{"check", "--config", path, "--record", dir}, &out, &out)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
				t.Fatalf("record dir: %v %v", info, err)
			}
			entries, _ := os.ReadDir(dir)
			if !strings.Contains(out.String(), "Recorded ") || len(entries) < 8 {
				t.Fatalf("%d files:\n%s", len(entries), out.String())
			}
			bySource := map[string]string{}
			var all strings.Builder
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
					t.Errorf("%s mode %o", e.Name(), info.Mode().Perm())
				}
				for _, s := range secrets {
					if strings.Contains(string(b), s) {
						t.Fatalf("%s holds the secret %q:\n%s", e.Name(), s, b)
					}
				}
				if m := regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16,}`).FindString(string(b)); m != "" {
					t.Fatalf("%s holds a signed token %q", e.Name(), m)
				}
				for _, h := range []string{`"Authorization": [`, `"X-Auth-Key": [`} {
					if i := strings.Index(string(b), h); i >= 0 && !strings.Contains(string(b)[i:min(i+80, len(b))], "[REDACTED]") {
						t.Fatalf("%s: %s not redacted:\n%s", e.Name(), h, b)
					}
				}
				var x struct {
					Source   string
					Response struct {
						Status int
						Body   string
					}
				}
				if err := json.Unmarshal(b, &x); err != nil {
					t.Fatalf("%s: %v", e.Name(), err)
				}
				bySource[x.Source] += x.Response.Body
				all.Write(b)
			}
			if name == "global key" && !regexp.MustCompile(`"X-Auth-Key": \[\s*"\[REDACTED\]"`).MatchString(all.String()) {
				t.Errorf("no redacted X-Auth-Key recorded")
			}
			for src, want := range map[string]string{"casb": "userRiskScores", "cloudflare": "behaviors", "onelogin": "data", "okta": "id"} {
				if !strings.Contains(bySource[src], want) {
					t.Errorf("no %s answer with %q recorded", src, want)
				}
			}
		})
	}
}
