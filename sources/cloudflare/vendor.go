package cloudflare

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Cloudflare allows 1,200 requests per 5 minutes per user, shared with
// the dashboard and other automation; going over blocks all calls for 5
// minutes.
const (
	DefaultInterval = 60 * time.Second
	MinInterval     = 10 * time.Second
)

const vendorName = "cloudflare"

const accountIDWhat = "the 32 hex characters after dash.cloudflare.com/ in the dashboard URL"

// Vendor describes Cloudflare Zero Trust to the rest of risktop.
var Vendor = vendorkit.Descriptor{
	Info: vendorkit.Info{Name: vendorName, Display: "Cloudflare", Short: "CF", Polled: true,
		// The risk table: a person's maximum level over the behaviors
		// detected (LevelOf's three).
		Levels:      []model.Level{model.LevelHigh, model.LevelMedium, model.LevelLow},
		LevelsTitle: "Cloudflare users by max level", Column: "Cloudflare", ColumnWidth: 10, LevelsPlace: 1},
	Config: vendorkit.Schema{
		Keys: []vendorkit.Key{
			{Name: "base_url", Kind: vendorkit.URL, Default: DefaultBaseURL, Example: DefaultBaseURL, CheckPath: checkPath},
			{Name: "account_id", Kind: vendorkit.String, Required: true, What: accountIDWhat},
			{Name: "api_token", Kind: vendorkit.Secret,
				What: "an API token with Zero Trust read and 'Zero Trust: PII Read' permissions"},
			// The legacy Global API Key, sent with its user's email
			// (X-Auth-Email, X-Auth-Key); one of api_token or these two.
			{Name: "api_email", Kind: vendorkit.String, What: "the email of the user whose Global API Key api_key is"},
			{Name: "api_key", Kind: vendorkit.Secret, What: "the user's Global API Key (legacy; an API token is preferred)"},
			{Name: "interval", Kind: vendorkit.Interval},
		},
		Check:    checkSection,
		Backstop: backstop,
	},
	Schedule: vendorkit.Schedule{Default: DefaultInterval, Min: MinInterval,
		Why: "Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other automation, and going over blocks every API call for 5 minutes"},
	New: func(s *vendorkit.Section, opts httpx.Options) (any, error) { return New(ConfigOf(s, opts)) },
	Sources: func(c any, _ *vendorkit.Section, d vendorkit.Deps) []vendorkit.Source {
		return []vendorkit.Source{NewSource(c.(*Client), d.Store, d.Hub, SourceOptions{})}
	},
	Check: check,
	Level: func(raw string, _ int) model.Level { return LevelOf(raw) },
	Summary: func(s *vendorkit.Section) string {
		return fmt.Sprintf("cloudflare %s account %s every %s", s.String("base_url"), s.String("account_id"), vendorkit.FormatDuration(s.Duration("interval")))
	},
	// The API host is everyone's: the account names the tenant.
	Tenant: func(s *vendorkit.Section) (string, bool) {
		return "cloudflare account " + s.String("account_id"), false
	},
}

// ConfigOf is the client config of a loaded section.
func ConfigOf(s *vendorkit.Section, opts httpx.Options) Config {
	return Config{BaseURL: s.String("base_url"), AccountID: s.String("account_id"), APIToken: s.Secret("api_token"),
		APIEmail: s.String("api_email"), APIKey: s.Secret("api_key"), HTTP: opts}
}

// checkPath refuses a base URL that goes past the API root.
func checkPath(u *url.URL) string {
	p := strings.Trim(u.Path, "/")
	switch {
	case slices.ContainsFunc(strings.Split(p, "/"), func(seg string) bool { return seg == "accounts" || seg == "zt_risk_scoring" }):
		return fmt.Sprintf("path %q goes past the API root; write %s and put the account in account_id", sanitize.LineN(u.Path, 60), DefaultBaseURL)
	case strings.EqualFold(u.Hostname(), "api.cloudflare.com") && p != "client/v4":
		return fmt.Sprintf("the API root on api.cloudflare.com is /client/v4; write %s", DefaultBaseURL)
	}
	return ""
}

// checkSection also holds the credentials to exactly one kind: an API
// token, or a Global API Key with its user's email.
func checkSection(s *vendorkit.Section, p vendorkit.Problems) {
	token := s.Has("api_token") || s.Has("api_token_file")
	key := s.Has("api_key") || s.Has("api_key_file") || s.Has("api_email")
	switch {
	case token && key:
		p.At("", "both api_token and api_key/api_email are set; keep one: api_token (preferred) or api_email + api_key (Global API Key)")
	case !token && !key && !p.Misspelt("api_token") && !p.Misspelt("api_key") && !p.Misspelt("api_email"):
		p.At("", "no credentials; set api_token (an API token with Zero Trust read and 'Zero Trust: PII Read'), or api_email + api_key (the user's Global API Key)")
	case key && !s.Has("api_email"):
		p.Missing("api_email", "set it to the email of the user the Global API Key belongs to (required with api_key)")
	case key && !s.Has("api_key") && !s.Has("api_key_file"):
		p.Missing("api_key_file", "set it to the file holding the user's Global API Key (required with api_email), or use api_token")
	}
	if id := s.String("account_id"); id != "" && !isHex32(id) {
		p.At("account_id", "%s is not an account ID; use %s", p.Quoted("account_id", id, 40), accountIDWhat)
	}
}

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

var configKeys = strings.NewReplacer("Config.", "", "BaseURL", "base_url", "AccountID", "account_id", "APIToken", "api_token", "APIEmail", "api_email", "APIKey", "api_key")

func backstop(s *vendorkit.Section) error {
	if _, err := New(ConfigOf(s, httpx.Options{})); err != nil {
		return errors.New(configKeys.Replace(strings.TrimPrefix(err.Error(), vendorName+": ")))
	}
	return nil
}

// LevelOf maps Cloudflare's low/medium/high.
func LevelOf(s string) model.Level { return model.LevelOfLowMediumHigh(s) }
