package okta

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/vendorkit"
)

const vendorName = "okta"

// CheckEvery is how often the Okta source checks its provider
// registration: risktop pushes to Okta, it does not poll it.
const CheckEvery = 15 * time.Minute

const example = "https://acme.okta.com"

// Vendor describes Okta to the rest of risktop.
var Vendor = vendorkit.Descriptor{
	Info: vendorkit.Info{Name: vendorName, Display: "Okta", Short: "OKTA", Polled: false},
	Config: vendorkit.Schema{
		Keys: []vendorkit.Key{
			{Name: "base_url", Kind: vendorkit.URL, Example: example, CheckPath: checkPath},
			{Name: "api_token", Kind: vendorkit.Secret, What: "an SSWS API token"},
			{Name: "client_id", Kind: vendorkit.String},
			{Name: "private_key", Kind: vendorkit.Secret, PEM: true, What: "the service app's RSA private key (PEM)"},
			{Name: "key_id", Kind: vendorkit.String},
			{Name: "requests_per_minute", Kind: vendorkit.Int, Default: DefaultRequestsPerMinute, Min: 1, Max: MaxRequestsPerMinute,
				NotNumber:  fmt.Sprintf("use 1 to %d (Okta's guide allows %d per risk provider)", MaxRequestsPerMinute, DefaultRequestsPerMinute),
				OutOfRange: fmt.Sprintf("use 1 to %d (the API's limit; Okta's integration guide asks for %d per risk provider)", MaxRequestsPerMinute, DefaultRequestsPerMinute)},
			// The push path: the seeded Risk Events API, or SSF (a signed
			// SET per event); see PushPath.
			{Name: "push", Kind: vendorkit.String, Default: string(PushRiskEvents)},
			{Name: "ssf_issuer", Kind: vendorkit.String, What: "the issuer of the org's Security Events Provider"},
			{Name: "ssf_key", Kind: vendorkit.Secret, PEM: true, What: "the SET signing key (PEM: RSA 2048+ or EC P-256)"},
			{Name: "ssf_key_id", Kind: vendorkit.String, What: "the signing key's kid in the provider's JWKS"},
			{Name: "allow_documentation_ranges", Kind: vendorkit.Bool,
				NotBool: "write true only for a simulator's tenant (its addresses are in the documentation ranges), else leave it out"},
		},
		Hints: map[string]string{
			"interval": "unknown key; okta is not polled (risktop pushes IP risk to it), so its pace is requests_per_minute",
		},
		Check:    checkSection,
		Backstop: backstop,
	},
	Schedule: vendorkit.Schedule{Default: CheckEvery, Min: CheckEvery},
	New:      func(s *vendorkit.Section, opts httpx.Options) (any, error) { return New(ConfigOf(s, opts)) },
	Sources: func(c any, _ *vendorkit.Section, _ vendorkit.Deps) []vendorkit.Source {
		return []vendorkit.Source{NewSource(c.(*Client))}
	},
	Check: check,
	Level: func(raw string, _ int) model.Level { return LevelOf(raw) },
	Summary: func(s *vendorkit.Section) string {
		part := fmt.Sprintf("okta %s (%s) %d pushes/min", s.String("base_url"), mode(s), s.Int("requests_per_minute"))
		if PushPath(s.String("push")) == PushSSF {
			part += ", over SSF as " + s.String("ssf_issuer")
		}
		if s.Bool("allow_documentation_ranges") {
			part += ", documentation ranges allowed"
		}
		return part
	},
	Tenant: func(s *vendorkit.Section) (string, bool) {
		if u, err := url.Parse(s.String("base_url")); err == nil {
			return u.Host, true
		}
		return "", true
	},
}

// ConfigOf is the client config of a loaded section.
func ConfigOf(s *vendorkit.Section, opts httpx.Options) Config {
	return Config{
		BaseURL: s.String("base_url"), APIToken: s.Secret("api_token"),
		ClientID: s.String("client_id"), PrivateKeyPEM: s.Secret("private_key"), KeyID: s.String("key_id"),
		RequestsPerMinute: s.Int("requests_per_minute"), HTTP: opts,
		AllowDocumentationRanges: s.Bool("allow_documentation_ranges"),
		Push:                     PushPath(s.String("push")),
		SSFIssuer:                s.String("ssf_issuer"), SSFKeyPEM: s.Secret("ssf_key"), SSFKeyID: s.String("ssf_key_id"),
	}
}

// AllowsDocumentationRanges reports allow_documentation_ranges: pushes may
// name the documentation ranges (a simulator's tenant).
func AllowsDocumentationRanges(s *vendorkit.Section) bool {
	return s.Bool("allow_documentation_ranges")
}

// mode is "oauth", "ssws", or "no API credential" (push: ssf alone).
func mode(s *vendorkit.Section) string {
	switch {
	case s.String("client_id") != "":
		return "oauth"
	case s.Secret("api_token").IsZero() && PushPath(s.String("push")) == PushSSF:
		return "no API credential"
	}
	return "ssws"
}

var ownRoot = vendorkit.RootOnly([]string{".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com"},
	[]string{"api", "oauth2", "admin", "app", "home"}, example)

// checkPath refuses the Admin Console's host and a path on Okta's domains.
func checkPath(u *url.URL) string {
	host := u.Hostname()
	label, rest, _ := strings.Cut(host, ".")
	if org, ok := strings.CutSuffix(label, "-admin"); ok && org != "" {
		if rest != "" {
			org += "." + rest
		}
		return fmt.Sprintf("host %q is the Admin Console; use the org URL %s://%s", sanitize.LineN(host, 60), u.Scheme, org)
	}
	return ownRoot(u)
}

// checkSection holds the credentials to exactly one kind: an SSWS token,
// or an OAuth service app's client id and key.
//
// push is risk-events or ssf; with ssf, ssf_issuer, ssf_key_file and
// ssf_key_id are required and the API credential becomes optional (SETs
// carry their own signature; the credential only lets check read the
// org's providers).
func checkSection(s *vendorkit.Section, p vendorkit.Problems) {
	ssws := s.Has("api_token") || s.Has("api_token_file")
	oauth := s.Has("client_id") || s.Has("private_key") || s.Has("private_key_file") || s.Has("key_id")
	ssf := checkPush(s, p)
	switch {
	case ssws && oauth:
		p.At("", "both api_token and client_id/private_key_file are set; keep one: client_id + private_key_file (OAuth service app) or api_token (SSWS)")
	case !ssws && !oauth && ssf:
		// SETs need no API credential.
	case !ssws && !oauth && !p.Misspelt("api_token") && !p.Misspelt("client_id") && !p.Misspelt("private_key"):
		p.At("", "no credentials; set client_id + private_key_file (OAuth service app, scope okta.riskEvents.manage), or api_token (SSWS)")
	}
	if !oauth || ssws {
		return
	}
	if s.String("client_id") == "" {
		if s.Has("client_id") {
			p.At("client_id", "is empty; set it to the service app's client ID")
		} else {
			p.Missing("client_id", "set it to the service app's client ID (required with private_key_file)")
		}
	}
	if !s.Has("private_key") && !s.Has("private_key_file") {
		p.Missing("private_key_file", "set it to the PEM file of the service app's RSA private key (required with client_id)")
	}
}

// checkPush checks push and the ssf_ keys, and reports whether push is ssf.
func checkPush(s *vendorkit.Section, p vendorkit.Problems) bool {
	push := PushPath(s.String("push"))
	ssfKeys := []string{"ssf_issuer", "ssf_key", "ssf_key_file", "ssf_key_id"}
	switch push {
	case PushSSF:
		if s.String("ssf_issuer") == "" {
			p.Missing("ssf_issuer", "set it to the issuer of the org's Security Events Provider (required with push: ssf; `risktop okta ssf-setup` prints the provider to create)")
		}
		if !s.Has("ssf_key") && !s.Has("ssf_key_file") {
			p.Missing("ssf_key_file", "set it to the PEM file of the SET signing key, RSA 2048+ (RS256) or EC P-256 (ES256) (required with push: ssf)")
		}
		if s.String("ssf_key_id") == "" {
			p.Missing("ssf_key_id", "set it to the kid of the signing key in the provider's JWKS (required with push: ssf)")
		}
		return true
	case PushRiskEvents:
		for _, k := range ssfKeys {
			if s.Has(k) {
				p.At(k, "is for push: ssf; set push: ssf to push over the Shared Signals Framework, or leave it out")
			}
		}
	default:
		p.At("push", "%s is not a push path; use %s (the Risk Events API) or %s (the Shared Signals Framework, Okta's current path)",
			p.Quoted("push", string(push), 20), PushRiskEvents, PushSSF)
	}
	return false
}

func backstop(s *vendorkit.Section) error {
	_, err := New(ConfigOf(s, httpx.Options{}))
	if err == nil {
		return nil
	}
	keyName := "private_key_file"
	if s.Has("private_key") {
		keyName = "private_key"
	}
	ssfKeyName := "ssf_key_file"
	if s.Has("ssf_key") {
		ssfKeyName = "ssf_key"
	}
	keys := strings.NewReplacer("Config.", "", "BaseURL", "base_url", "APIToken", "api_token", "ClientID", "client_id",
		"PrivateKeyPEM", keyName, "RequestsPerMinute", "requests_per_minute",
		"SSFKeyPEM", ssfKeyName, "SSFKeyID", "ssf_key_id", "SSFIssuer", "ssf_issuer", "Push ", "push ")
	return errors.New(keys.Replace(strings.TrimPrefix(err.Error(), vendorName+": ")))
}

// LevelOf maps Okta's LOW/MEDIUM/HIGH.
func LevelOf(s string) model.Level { return model.LevelOfLowMediumHigh(s) }

// ScopeRefused reports Okta's invalid_scope: the app lacks a granted scope.
func (e *TokenError) ScopeRefused() bool { return e.Code == "invalid_scope" }
