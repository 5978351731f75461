package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryMistakeClass lists each class of config mistake an operator can
// make and the exact line (file:line:column, key path, what is wrong and
// what to write) risktop answers it with. Each is one line of a golden
// file's actual output, so a class cannot lose its test or its position.
func TestEveryMistakeClass(t *testing.T) {
	for _, c := range []struct{ class, file, line string }{
		{"unknown key, with a did-you-mean", "unknown_key",
			`unknown_key.yaml:9:5: sources.cloudflare.api_tokne: unknown key; did you mean "api_token"?`},
		{"unknown key, with the keys expected", "unknown_key",
			`unknown_key.yaml:2:1: colour: unknown key; expected refresh, read_only, store, retention, audit_log, export_dir, serve, sources, rules or notify`},
		{"unknown source", "unknown_key", `unknown_key.yaml:5:3: sources.onelgoin: unknown source; did you mean "onelogin"?`},
		{"a key holding escape or bidi characters", "hostile_key",
			`hostile_key.yaml:7:3: sources."okta\u202e": unknown source; did you mean "okta"?`},
		{"duplicate key", "duplicate_key", `duplicate_key.yaml:7:5: sources.cloudflare.interval: duplicate key; already set at line 6, keep one`},
		{"bad duration", "bad_duration",
			`bad_duration.yaml:1:10: refresh: "30x" is not a duration; write a number and a unit, like 30s, 5m, 1h or 90d`},
		{"duration without a unit", "bad_duration", `bad_duration.yaml:8:15: sources.onelogin.interval: 30 has no unit; write 30s (or a unit of m, h or d)`},
		{"negative duration", "bad_duration", `bad_duration.yaml:9:15: sources.onelogin.backfill: -1h is negative; durations count forward, like 30s`},
		{"URL without a scheme", "url_scheme",
			`url_scheme.yaml:3:15: sources.onelogin.base_url: "acme.onelogin.com" has no scheme; write https://acme.onelogin.com`},
		{"URL with another scheme", "url_scheme",
			`url_scheme.yaml:7:15: sources.casb.base_url: scheme "ftp" is not supported; use https://, like https://casb.example.com`},
		{"URL without a host", "url_scheme", `url_scheme.yaml:11:15: sources.okta.base_url: "https://" has no host; write it like https://acme.okta.com`},
		{"URL with a path", "url_path",
			`url_path.yaml:3:15: sources.onelogin.base_url: path "/admin2" is not expected: risktop adds the API paths itself; give only the host, like https://acme.onelogin.com`},
		{"missing secret", "missing_required",
			`missing_required.yaml:2:3: sources.onelogin.client_secret: missing; set client_secret: "${VAR}" or client_secret_file: /path/to/file holding the API credential's client secret`},
		{"missing required key", "missing_required",
			`missing_required.yaml:10:3: sources.okta.base_url: missing; set it to the API's address, like https://acme.okta.com`},
		{"interval below the vendor minimum", "below_minimum",
			`below_minimum.yaml:16:15: sources.cloudflare.interval: 1s is below the safe minimum of 10s: Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other automation, and going over blocks every API call for 5 minutes; use 10s or more`},
		{"refresh below the minimum", "below_minimum",
			`below_minimum.yaml:1:10: refresh: 2s is below the minimum of 5s: polling faster spends vendor budgets for no visible gain; use 5s or more`},
		{"wrong type: a boolean", "wrong_type",
			`wrong_type.yaml:1:12: read_only: "yes" is not a boolean; write true (actions hidden) or false (actions allowed)`},
		{"wrong type: a boolean of a source", "okta_docranges",
			`okta_docranges.yaml:5:33: sources.okta.allow_documentation_ranges: "sometimes" is not a boolean; write true only for a simulator's tenant (its addresses are in the documentation ranges), else leave it out`},
		{"wrong type: a list for a value", "wrong_type", `wrong_type.yaml:2:8: store: expected a single value, found a list`},
		{"wrong type: a value for a mapping", "wrong_type",
			`wrong_type.yaml:4:13: sources.onelogin: expected a mapping of onelogin settings, found the single value "https://acme.onelogin.com"`},
		{"wrong type: a number", "okta_rpm_type",
			`okta_rpm_type.yaml:5:26: sources.okta.requests_per_minute: "three" is not a whole number; use 1 to 30 (Okta's guide allows 3 per risk provider)`},
		{"bad YAML", "syntax", `syntax.yaml:5: YAML syntax error: mapping values are not allowed in this context`},
		{"bad YAML: tabs", "tabs", `tabs.yaml:3: YAML syntax error: found character that cannot start any token; indent with spaces, not tabs`},
		{"a second YAML document", "multi_doc", `multi_doc.yaml:2:1: a second YAML document (after ---); risktop reads one, so merge them`},
		{"_file that does not exist", "secret_file",
			`secret_file.yaml:9:22: sources.casb.access_key_file: cannot read /run/secrets/missing: file does not exist; check the path and that risktop's user may read it`},
		{"_file that may not be read", "unreadable_file",
			`unreadable_file.yaml:4:21: sources.cloudflare.api_token_file: cannot read /run/secrets/locked: permission denied; check the path and that risktop's user may read it`},
		{"_file that is a directory", "unreadable_file",
			`unreadable_file.yaml:7:21: sources.okta.api_token_file: cannot read /run/secrets: is a directory; check the path and that risktop's user may read it`},
		{"_file that is empty", "secret_file",
			`secret_file.yaml:10:25: sources.casb.access_secret_file: /run/secrets/empty is empty; put the secret key generated with the access key in it`},
		{"secret and _file both set", "secret_file",
			`secret_file.yaml:6:5: sources.onelogin.client_secret_file: client_secret is set too; keep one of client_secret and client_secret_file`},
		{"unset ${VAR}", "missing_env",
			`missing_env.yaml:6:20: sources.onelogin.client_secret: environment variable ONELOGIN_SECRET is not set; export it before starting risktop, or use client_secret_file: /path/to/file`},
		{"${VAR} set to nothing", "missing_env",
			`missing_env.yaml:12:16: sources.okta.api_token: is empty: EMPTY expanded to nothing; set EMPTY, or use api_token_file: /path/to/file`},
		{"bad ${…}", "bad_expansion",
			`bad_expansion.yaml:5:20: sources.onelogin.client_secret: has ${ without a closing }; write ${NAME}, or $${ for a literal ${`},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", c.file+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		got := renderParse(t, c.file+".yaml", data)
		if !strings.Contains("\n"+got, "\n"+c.line+"\n") {
			t.Errorf("%s: %s.yaml does not answer\n  %s\nit says:\n%s", c.class, c.file, c.line, got)
		}
	}
}
