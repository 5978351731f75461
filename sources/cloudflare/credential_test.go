package cloudflare_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/secret"
	"github.com/risktop/risktop/sources/sim/cfsim"
	"github.com/risktop/risktop/sources/vendorkit"
)

// keyClient is a client with the Global API Key instead of a token.
func (r *rig) keyClient(email, key string) *cloudflare.Client {
	return r.client("", func(c *cloudflare.Config) {
		c.APIToken = secret.Value{}
		c.APIEmail = email
		c.APIKey = secret.New(key)
	})
}

func TestGlobalAPIKeyReadsLikeAToken(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	c := r.keyClient(cfsim.DefaultAPIEmail, cfsim.DefaultAPIKey)
	if c.Credential() != cloudflare.CredGlobalKey {
		t.Fatal("not a key client")
	}
	sum, err := c.Summary(context.Background())
	if err != nil || len(sum.Users) == 0 {
		t.Fatalf("summary with the key: %v", err)
	}
	if _, err := c.User(context.Background(), sum.Users[0].UserID); err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil || me.Email != cfsim.DefaultAPIEmail {
		t.Fatalf("me %+v %v", me, err)
	}
	want, err := r.client(cfsim.DefaultToken).Summary(context.Background())
	if err != nil || want.TotalCount != sum.TotalCount {
		t.Fatalf("token sees %d users, key %d (%v)", want.TotalCount, sum.TotalCount, err)
	}
}

func TestGlobalAPIKeyRefusalsNameTheUser(t *testing.T) {
	ctx := context.Background()
	// Unknown key: the credential, not a permission.
	r := newRig(t, cfsim.Options{})
	_, err := r.keyClient(cfsim.DefaultAPIEmail, "0000000000000000000000000000000000000").Summary(ctx)
	if err == nil || !strings.Contains(err.Error(), "9103") || !strings.Contains(err.Error(), "Global API Key or api_email is wrong") {
		t.Fatalf("unknown key: %v", err)
	}
	// A key too short to be one: 400, 6003.
	_, err = r.keyClient(cfsim.DefaultAPIEmail, "short").Summary(ctx)
	if httpx.StatusOf(err) != 400 || !strings.Contains(err.Error(), "6003") || !strings.Contains(err.Error(), "Global API Key or api_email is wrong") {
		t.Fatalf("malformed key: %v", err)
	}
	// The user is no member of the account.
	r = newRig(t, cfsim.Options{KeyNotMember: true})
	_, err = r.keyClient(cfsim.DefaultAPIEmail, cfsim.DefaultAPIKey).Summary(ctx)
	if httpx.StatusOf(err) != 403 || !strings.Contains(err.Error(), cfsim.DefaultAPIEmail+" needs to be a member of this account") {
		t.Fatalf("not a member: %v", err)
	}
	// The user may not read PII.
	r = newRig(t, cfsim.Options{KeyNoPII: true})
	c := r.keyClient(cfsim.DefaultAPIEmail, cfsim.DefaultAPIKey)
	sum, err := c.Summary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.User(ctx, sum.Users[0].UserID)
	if httpx.StatusOf(err) != 403 || !strings.Contains(err.Error(), "may read Zero Trust PII") || strings.Contains(err.Error(), "token") {
		t.Fatalf("no PII: %v", err)
	}
	for _, s := range []string{cfsim.DefaultAPIKey, "0000000000000000000000000000000000000"} {
		if strings.Contains(err.Error(), s) {
			t.Fatal("the key is in an error")
		}
	}
}

func TestVerifyToken(t *testing.T) {
	r := newRig(t, cfsim.Options{})
	st, err := r.client(cfsim.DefaultTokenNoPII).VerifyToken(context.Background())
	if err != nil || st.Status != "active" || st.ID == "" {
		t.Fatalf("%+v %v", st, err)
	}
	st, err = r.client(cfsim.DefaultTokenExpired).VerifyToken(context.Background())
	if err != nil || st.Status != "expired" {
		t.Fatalf("%+v %v", st, err)
	}
	_, err = r.client("not-a-token").VerifyToken(context.Background())
	if httpx.StatusOf(err) != 401 {
		t.Fatalf("bad token: %v", err)
	}
}

// check names what each kind of credential lacks.
func TestCheckNamesWhatTheCredentialLacks(t *testing.T) {
	run := func(r *rig, set func(*vendorkit.Section)) vendorkit.CheckResult {
		s := vendorkit.NewSection("cloudflare")
		s.Set("base_url", r.url)
		s.Set("account_id", r.sim.AccountID())
		set(s)
		return cloudflare.Vendor.Check(context.Background(), s, httpx.Options{Sleep: r.sl.Sleep, Now: r.clock.Now, Timeout: 10 * time.Second})
	}
	token := func(v string) func(*vendorkit.Section) {
		return func(s *vendorkit.Section) { s.Set("api_token", secret.New(v)) }
	}
	key := func(email, v string) func(*vendorkit.Section) {
		return func(s *vendorkit.Section) { s.Set("api_email", email); s.Set("api_key", secret.New(v)) }
	}
	cases := []struct {
		name       string
		opts       cfsim.Options
		set        func(*vendorkit.Section)
		auth, perm vendorkit.Mark
		note       string
	}{
		{"token", cfsim.Options{}, token(cfsim.DefaultToken), vendorkit.MarkOK, vendorkit.MarkOK, "user detail readable"},
		{"token without PII", cfsim.Options{}, token(cfsim.DefaultTokenNoPII), vendorkit.MarkOK, vendorkit.MarkFail, "the API token lacks 'Zero Trust: PII Read'"},
		{"expired token", cfsim.Options{}, token(cfsim.DefaultTokenExpired), vendorkit.MarkFail, vendorkit.MarkSkip, "the API token is expired"},
		{"unknown token", cfsim.Options{}, token("nope"), vendorkit.MarkFail, vendorkit.MarkSkip, "the API token is invalid, expired or revoked"},
		{"key", cfsim.Options{}, key(cfsim.DefaultAPIEmail, cfsim.DefaultAPIKey), vendorkit.MarkOK, vendorkit.MarkOK, "Global API Key of " + cfsim.DefaultAPIEmail},
		{"unknown key", cfsim.Options{}, key(cfsim.DefaultAPIEmail, "0000000000000000000000000000000000000"), vendorkit.MarkFail, vendorkit.MarkSkip, "Global API Key or api_email is wrong"},
		{"key of a non-member", cfsim.Options{KeyNotMember: true}, key(cfsim.DefaultAPIEmail, cfsim.DefaultAPIKey), vendorkit.MarkOK, vendorkit.MarkFail, cfsim.DefaultAPIEmail + " needs to be a member of this account"},
		{"key without PII", cfsim.Options{KeyNoPII: true}, key(cfsim.DefaultAPIEmail, cfsim.DefaultAPIKey), vendorkit.MarkOK, vendorkit.MarkFail, "has no role on this account that may read Zero Trust PII"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := run(newRig(t, tc.opts), tc.set)
			notes := strings.Join(res.Notes, "; ")
			if res.Authenticated != tc.auth || res.Permitted != tc.perm || !strings.Contains(notes, tc.note) {
				t.Fatalf("auth %v perm %v notes %q", res.Authenticated, res.Permitted, notes)
			}
			if strings.Contains(notes, cfsim.DefaultAPIKey) || strings.Contains(notes, cfsim.DefaultToken) {
				t.Fatal("a secret in the notes")
			}
		})
	}
}

func TestOneCredentialOnly(t *testing.T) {
	base := cloudflare.Config{AccountID: cfsim.DefaultAccountID}
	cases := map[string]struct {
		mod  func(*cloudflare.Config)
		want string
	}{
		"both": {func(c *cloudflare.Config) {
			c.APIToken = secret.New("t")
			c.APIEmail = "a@b.c"
			c.APIKey = secret.New("k")
		}, "keep one"},
		"neither":     {func(c *cloudflare.Config) {}, "Config.APIToken is empty"},
		"key only":    {func(c *cloudflare.Config) { c.APIKey = secret.New("k") }, "Config.APIEmail is empty"},
		"email only":  {func(c *cloudflare.Config) { c.APIEmail = "a@b.c" }, "Config.APIKey is empty"},
		"not email":   {func(c *cloudflare.Config) { c.APIEmail = "admin"; c.APIKey = secret.New("k") }, "not an email address"},
		"key newline": {func(c *cloudflare.Config) { c.APIEmail = "a@b.c"; c.APIKey = secret.New("k\n") }, "control characters"},
	}
	for name, tc := range cases {
		cfg := base
		tc.mod(&cfg)
		_, err := cloudflare.New(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// problems records what a Schema's Check reports.
type problems struct{ got []string }

func (p *problems) At(key, f string, a ...any) { p.got = append(p.got, key+": "+fmt.Sprintf(f, a...)) }
func (p *problems) Missing(key, f string, a ...any) {
	p.got = append(p.got, key+" missing: "+fmt.Sprintf(f, a...))
}
func (p *problems) Misspelt(string) bool             { return false }
func (p *problems) Read(key string) bool             { return true }
func (p *problems) Shown(_, d string) string         { return d }
func (p *problems) Quoted(_, v string, _ int) string { return fmt.Sprintf("%q", v) }

func TestConfigHoldsOneCredential(t *testing.T) {
	cases := map[string]struct {
		keys []string
		want string
	}{
		"token":         {[]string{"api_token"}, ""},
		"token file":    {[]string{"api_token_file"}, ""},
		"key":           {[]string{"api_email", "api_key"}, ""},
		"key file":      {[]string{"api_email", "api_key_file"}, ""},
		"both":          {[]string{"api_token", "api_email", "api_key"}, "both api_token and api_key/api_email are set; keep one"},
		"neither":       {nil, "no credentials; set api_token"},
		"key, no email": {[]string{"api_key"}, "api_email missing"},
		"email, no key": {[]string{"api_email"}, "api_key_file missing"},
	}
	for name, tc := range cases {
		s := vendorkit.NewSection("cloudflare")
		s.Set("account_id", cfsim.DefaultAccountID)
		for _, k := range tc.keys {
			s.Wrote(k)
		}
		p := &problems{}
		cloudflare.Vendor.Config.Check(s, p)
		got := strings.Join(p.got, "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
