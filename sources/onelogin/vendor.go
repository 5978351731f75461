package onelogin

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendor"
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
var Vendor = vendor.Descriptor{
	Name:    vendorName,
	Display: "OneLogin",
	Short:   "OL",
	Polled:  true,
	Config: vendor.Schema{
		Keys: []vendor.Key{
			{Name: "base_url", Kind: vendor.URL, Example: example,
				CheckPath: vendor.RootOnly([]string{".onelogin.com"}, []string{"api", "auth", "admin", "admin2", "portal", "login"}, example)},
			{Name: "client_id", Kind: vendor.String, Required: true,
				What: "the client ID of an API credential with Read All scope (Developers → API Credentials)"},
			{Name: "client_secret", Kind: vendor.Secret, Required: true, What: "the API credential's client secret"},
			{Name: "interval", Kind: vendor.Interval},
			{Name: "backfill", Kind: vendor.Duration, Default: DefaultBackfill,
				Retained: "back-filled events would be pruned as they land"},
		},
		Check:    checkSection,
		Backstop: backstop,
	},
	Schedule: vendor.Schedule{Min: MinInterval,
		Why: "OneLogin allows 5,000 calls an hour per account, shared with every other integration (SIEM collectors too)"},
	New: func(s *vendor.Section, opts httpx.Options) (any, error) { return New(ConfigOf(s, opts)) },
	Sources: func(c any, s *vendor.Section, d vendor.Deps) []vendor.Source {
		return []vendor.Source{NewSource(c.(*Client), d.Store, d.Hub, SourceOptions{Backfill: s.Duration("backfill")})}
	},
	// Events carry a 0–100 score read through the score buckets.
	Check: check,
	Level: func(_ string, score int) model.Level { return model.LevelOfScore(score) },
	Summary: func(s *vendor.Section) string {
		return fmt.Sprintf("onelogin %s every %s, back-fill %s",
			s.String("base_url"), vendor.FormatDuration(s.Duration("interval")), vendor.FormatDuration(s.Duration("backfill")))
	},
	Tenant: func(s *vendor.Section) (string, bool) { return host(s.String("base_url")), true },
}

// ConfigOf is the client config of a loaded section.
func ConfigOf(s *vendor.Section, opts httpx.Options) Config {
	return Config{BaseURL: s.String("base_url"), ClientID: s.String("client_id"), ClientSecret: s.Secret("client_secret"), HTTP: opts}
}

func checkSection(s *vendor.Section, p vendor.Problems) {
	if v := s.Duration("backfill"); p.Read("backfill") && v > MaxBackfill {
		p.At("backfill", "%s reaches further back than OneLogin keeps events (%s); use %s or less",
			p.Shown("backfill", vendor.FormatDuration(v)), vendor.FormatDuration(MaxBackfill), vendor.FormatDuration(MaxBackfill))
	}
}

var configKeys = strings.NewReplacer("Config.", "", "BaseURL", "base_url", "ClientID", "client_id", "ClientSecret", "client_secret")

func backstop(s *vendor.Section) error {
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
