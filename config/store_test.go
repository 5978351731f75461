package config

import (
	"strings"
	"testing"

	"github.com/risktop/risktop/sources/vendors"
)

const storeBase = `sources:
  okta: {base_url: https://acme.okta.com, api_token: "${OKTA_API_TOKEN}"}
`

// store: takes a PostgreSQL URL as well as a path; $RISKTOP_STORE stands
// in for it; a password is never shown, in the summary or in an error.
func TestStoreURL(t *testing.T) {
	const url = "postgres://risktop:" + marker + "pw@db.example.com:5432/risktop?sslmode=require"
	cfg, _ := mustParse(t, "store: "+url+"\n"+storeBase, testEnv(nil))
	if cfg.StoreURL != url || cfg.StorePath != "" {
		t.Fatalf("store: URL %q, path %q", cfg.StoreURL, cfg.StorePath)
	}
	assertNoSecret(t, "the summary", cfg.String())
	if !strings.Contains(cfg.String(), "store postgres://risktop:…@db.example.com:5432/risktop?sslmode=require") {
		t.Errorf("summary %q does not name the database", cfg.String())
	}

	// The variable wins over the file, a URL or a path.
	env := testEnv(withVars(map[string]string{StoreEnv: "postgresql://ops@10.0.0.5/team?password=" + marker + "x"}))
	cfg, _ = mustParse(t, "store: /var/lib/r.db\n"+storeBase, env)
	if cfg.StoreURL == "" || cfg.StorePath != "" {
		t.Fatalf("$%s did not stand in: %+v", StoreEnv, cfg)
	}
	assertNoSecret(t, "the summary", cfg.String())
	cfg, _ = mustParse(t, storeBase, testEnv(withVars(map[string]string{StoreEnv: "/srv/risktop.db"})))
	if cfg.StorePath != "/srv/risktop.db" || cfg.StoreURL != "" {
		t.Fatalf("$%s path: %+v", StoreEnv, cfg)
	}

	for _, c := range []struct{ yaml, vars, want string }{
		{"store: postgres://u:" + marker + "p@host\n", "", "names no database"},
		{"store: \"postgres://u:" + marker + "p@ho st:5432/db\"\n", "", "not a valid PostgreSQL URL"},
		{"", "postgres://u:" + marker + "p@host:99999/db x%zz", "not a valid PostgreSQL URL"},
		{"", "relative/r.db", "must be an absolute path"},
	} {
		vars := testVars
		if c.vars != "" {
			vars = withVars(map[string]string{StoreEnv: c.vars})
		}
		_, _, err := Parse("config.yaml", []byte(c.yaml+storeBase), testEnv(vars), vendors.All)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q / %q: %v, want %q", c.yaml, c.vars, err, c.want)
			continue
		}
		assertNoSecret(t, "the error", err.Error())
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h/db":                 "postgres://u:…@h/db",
		"postgres://u@h/db":                    "postgres://u@h/db",
		"postgres://h/db?user=u&password=pw":   "postgres://h/db?user=u&password=…",
		"postgresql://u:p@ss@h:5/db?x=1":       "postgresql://u:…@h:5/db?x=1",
		"postgres://u:pw@h/db?PASSWORD=pw&a=b": "postgres://u:…@h/db?PASSWORD=…&a=b",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// A URL from ${VAR} is named by its variable, not shown.
func TestStoreURLFromVariable(t *testing.T) {
	env := testEnv(withVars(map[string]string{"DB_URL": "postgres://dbuser@db.internal.example/"}))
	_, _, err := Parse("config.yaml", []byte("store: ${DB_URL}\n"+storeBase), env, vendors.All)
	if err == nil || !strings.Contains(err.Error(), "the value of ${DB_URL} names no database") || strings.Contains(err.Error(), "db.internal") {
		t.Fatalf("error %v", err)
	}
}
