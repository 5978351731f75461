package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/risktop/risktop/sources/vendors"
)

// A value that came from ${VAR} may be a secret put in the wrong key by
// mistake (interval: "${OL_SECRET}"): whatever is wrong with it, the
// message names the variable and never shows the value, whole or in part.
func TestValuesFromVariablesAreNeverShown(t *testing.T) {
	// Each key that takes a plain value, set in a config that is valid
	// otherwise.
	keys := map[string]string{
		"refresh":                          "refresh: %s",
		"read_only":                        "read_only: %s",
		"retention":                        "retention: %s",
		"serve.idle_timeout":               "serve: {idle_timeout: %s}",
		"serve.max_sessions":               "serve: {max_sessions: %s}",
		"sources.onelogin.base_url":        "  onelogin: {base_url: %s, client_id: id, client_secret: \"${ONELOGIN_CLIENT_SECRET}\"}",
		"sources.onelogin.interval":        "  onelogin: {base_url: https://acme.onelogin.com, client_id: id, client_secret: \"${ONELOGIN_CLIENT_SECRET}\", interval: %s}",
		"sources.onelogin.backfill":        "  onelogin: {base_url: https://acme.onelogin.com, client_id: id, client_secret: \"${ONELOGIN_CLIENT_SECRET}\", backfill: %s}",
		"sources.casb.base_url":            "  casb: {base_url: %s, access_key: \"${CASB_ACCESS_KEY}\", access_secret: \"${CASB_ACCESS_SECRET}\"}",
		"sources.casb.report":              "  casb: {base_url: https://casb.example.com, access_key: \"${CASB_ACCESS_KEY}\", access_secret: \"${CASB_ACCESS_SECRET}\", report: %s}",
		"sources.casb.interval":            "  casb: {base_url: https://casb.example.com, access_key: \"${CASB_ACCESS_KEY}\", access_secret: \"${CASB_ACCESS_SECRET}\", interval: %s}",
		"sources.cloudflare.base_url":      "  cloudflare: {base_url: %s, account_id: 0123456789abcdef0123456789abcdef, api_token: \"${CLOUDFLARE_API_TOKEN}\"}",
		"sources.cloudflare.account_id":    "  cloudflare: {account_id: %s, api_token: \"${CLOUDFLARE_API_TOKEN}\"}",
		"sources.cloudflare.interval":      "  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token: \"${CLOUDFLARE_API_TOKEN}\", interval: %s}",
		"sources.okta.base_url":            "  okta: {base_url: %s, api_token: \"${OKTA_API_TOKEN}\"}",
		"sources.okta.requests_per_minute": "  okta: {base_url: https://acme.okta.com, api_token: \"${OKTA_API_TOKEN}\", requests_per_minute: %s}",
	}
	// Values wrong in every way a key can be; leak is what must not show.
	values := []struct{ value, leak string }{
		{"hunter2-Leaked-Secret", `hunter2|Leaked|Secret`},
		{"ftp://hunter2.example", `hunter2|ftp`},
		{"hunter2.example.com", `hunter2`},
		{"https://hunter2.example", `hunter2`},
		{"https://hunter2.example/accounts/x1y2", `hunter2|x1y2`},
		{"https://hunter2.example/api?x1y2", `hunter2|x1y2`},
		{"https://user:hunter2@example.com", `hunter2`},
		{"https://api.hunter2.palerra.net", `hunter2`},
		{"987654321", `987654321|987,654,321`},
		{"4242", `4242`},
		{"-4242h", `4242`},
		{"3s", `(^|[^0-9.])3s`},
		{"91d", `91d|2184h`},
		{"1s", `(^|[^0-9.])1s`},
		{"trUE1", `trUE1`},
	}
	for path, line := range keys {
		for _, v := range values {
			text := strings.Replace(line, "%s", `"${LEAK}"`, 1)
			if strings.HasPrefix(text, "  ") {
				text = "sources:\n" + text
			}
			text += "\n"
			if !strings.HasPrefix(path, "sources.") {
				text += "sources:\n  okta: {base_url: https://acme.okta.com, api_token: \"${OKTA_API_TOKEN}\"}\n"
			}
			_, warns, err := Parse("risktop.yaml", []byte(text), testEnv(withVars(map[string]string{"LEAK": v.value})), vendors.All)
			var all []string
			for _, w := range warns {
				all = append(all, w.Message)
			}
			var errs *Errors
			if err != nil && !errors.As(err, &errs) {
				t.Fatalf("%s = %q: %v", path, v.value, err)
			}
			named := false
			if errs != nil {
				for _, p := range errs.Problems {
					all = append(all, p.Message)
					named = named || (p.Path == path && strings.Contains(p.Message, "${LEAK}"))
				}
			}
			msgs := strings.Join(all, "\n")
			if m := regexp.MustCompile(v.leak).FindString(msgs); m != "" {
				t.Errorf("%s = ${LEAK} = %q: the messages show %q:\n%s", path, v.value, m, msgs)
			}
			if errs != nil && !named {
				for _, p := range errs.Problems {
					if p.Path == path {
						t.Errorf("%s = ${LEAK} = %q: the message does not name the variable: %s", path, v.value, p.Message)
					}
				}
			}
		}
	}
}

// A <key>_file is read only when it is a small regular file: a device, a
// pipe or a huge file is refused before it can take memory or hang.
func TestSecretFilesAreSmallRegularFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "token")
	if err := os.WriteFile(good, []byte(strings.Repeat("t", MaxSecretFile-1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{
		{"/dev/zero", "it is a device, not a file"},
		{fifo, "it is a named pipe, not a file"},
		{big, "it is over 16 KiB"},
		{dir, "is a directory"},
		{good, ""},
	} {
		text := "sources:\n  cloudflare: {account_id: 0123456789abcdef0123456789abcdef, api_token_file: " + c.file + "}\n"
		cfg, _, err := Parse(filepath.Join(dir, "risktop.yaml"), []byte(text), MapEnv(map[string]string{"HOME": dir}), vendors.All)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.file, err)
		case c.want == "" && cfg.Source("cloudflare").Secret("api_token").Reveal() != strings.Repeat("t", MaxSecretFile-1):
			t.Errorf("%s: the token was not read whole", c.file)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), "cannot read "+c.file+": "+c.want)):
			t.Errorf("%s: error = %v; want %q", c.file, err, c.want)
		}
	}
}
