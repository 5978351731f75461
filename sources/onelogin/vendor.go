package onelogin

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
)

// Limits of the OneLogin source.
const (
	// MinInterval: 5,000 calls an hour per account, shared with every
	// other integration (SIEM collectors too). 10s is 360 polls an hour.
	MinInterval     = 10 * time.Second
	DefaultBackfill = 24 * time.Hour
	MaxBackfill     = 90 * 24 * time.Hour // OneLogin serves no further back
)

const example = "https://acme.onelogin.com"

// Vendor describes OneLogin to the rest of risktop.
var Vendor = vendorkit.Descriptor{
	Info: vendorkit.Info{Name: vendorName, Display: "OneLogin", Short: "OL", Polled: true,
		// Score insights per bucket, and events that are scored sign-ins.
		Scores: true, SignIns: true},
	Config: vendorkit.Schema{
		Keys: []vendorkit.Key{
			{Name: "base_url", Kind: vendorkit.URL, Example: example,
				CheckPath: vendorkit.RootOnly([]string{".onelogin.com"}, []string{"api", "auth", "admin", "admin2", "portal", "login"}, example)},
			{Name: "client_id", Kind: vendorkit.String, Required: true,
				What: "the client ID of an API credential with Read All scope (Developers → API Credentials)"},
			{Name: "client_secret", Kind: vendorkit.Secret, Required: true, What: "the API credential's client secret"},
			{Name: "interval", Kind: vendorkit.Interval},
			{Name: "backfill", Kind: vendorkit.Duration, Default: DefaultBackfill,
				Retained: "back-filled events would be pruned as they land"},
		},
		Check:    checkSection,
		Backstop: backstop,
	},
	Schedule: vendorkit.Schedule{Min: MinInterval,
		Why: "OneLogin allows 5,000 calls an hour per account, shared with every other integration (SIEM collectors too)"},
	New: func(s *vendorkit.Section, opts httpx.Options) (any, error) { return New(ConfigOf(s, opts)) },
	Sources: func(c any, s *vendorkit.Section, d vendorkit.Deps) []vendorkit.Source {
		return []vendorkit.Source{NewSource(c.(*Client), d.Store, d.Hub, SourceOptions{Backfill: s.Duration("backfill")})}
	},
	// Events carry a 0–100 score read through the score buckets.
	Check: check,
	Level: func(_ string, score int) model.Level { return model.LevelOfScore(score) },
	Summary: func(s *vendorkit.Section) string {
		return fmt.Sprintf("onelogin %s every %s, back-fill %s",
			s.String("base_url"), vendorkit.FormatDuration(s.Duration("interval")), vendorkit.FormatDuration(s.Duration("backfill")))
	},
	Tenant: func(s *vendorkit.Section) (string, bool) { return host(s.String("base_url")), true },
}

// ConfigOf is the client config of a loaded section.
func ConfigOf(s *vendorkit.Section, opts httpx.Options) Config {
	return Config{BaseURL: s.String("base_url"), ClientID: s.String("client_id"), ClientSecret: s.Secret("client_secret"), HTTP: opts}
}

func checkSection(s *vendorkit.Section, p vendorkit.Problems) {
	if v := s.Duration("backfill"); p.Read("backfill") && v > MaxBackfill {
		p.At("backfill", "%s reaches further back than OneLogin keeps events (%s); use %s or less",
			p.Shown("backfill", vendorkit.FormatDuration(v)), vendorkit.FormatDuration(MaxBackfill), vendorkit.FormatDuration(MaxBackfill))
	}
}

var configKeys = strings.NewReplacer("Config.", "", "BaseURL", "base_url", "ClientID", "client_id", "ClientSecret", "client_secret")

func backstop(s *vendorkit.Section) error {
	if _, err := New(ConfigOf(s, httpx.Options{})); err != nil {
		return errors.New(configKeys.Replace(strings.TrimPrefix(err.Error(), vendorName+": ")))
	}
	return nil
}

// host is a base URL's host, "" when it has none.
func host(base string) string {
	if u, err := url.Parse(base); err == nil {
		return u.Host
	}
	return ""
}
