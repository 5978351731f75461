package casb

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

// CASB documents no limit, and the user risk report is computed daily:
// polling faster than a minute gains nothing and risks an unknown limit.
const (
	DefaultInterval = 5 * time.Minute
	MinInterval     = time.Minute
)

const example = "https://casb.example.com"

// Vendor describes Oracle CASB to the rest of risktop.
var Vendor = vendorkit.Descriptor{
	Info: vendorkit.Info{Name: vendorName, Display: "Oracle CASB", Short: "CASB", Polled: true,
		// The user risk report: a person's risk per application.
		Levels:      []model.Level{model.LevelCritical, model.LevelHigh, model.LevelMedium, model.LevelLow, model.LevelNone},
		LevelsTitle: "CASB users by level", Column: "CASB", ColumnWidth: 8, LevelsPlace: 2, PerApp: true},
	Config: vendorkit.Schema{
		Keys: []vendorkit.Key{
			{Name: "base_url", Kind: vendorkit.URL, Example: example,
				CheckPath: vendorkit.RootOnly([]string{".palerra.net"}, []string{"api"}, example)},
			{Name: "access_key", Kind: vendorkit.Secret, Required: true, What: "the access key generated in the CASB console"},
			{Name: "access_secret", Kind: vendorkit.Secret, Required: true, What: "the secret key generated with the access key"},
			{Name: "report", Kind: vendorkit.String, Default: DefaultReport},
			{Name: "interval", Kind: vendorkit.Interval},
		},
		Check:    checkSection,
		Backstop: backstop,
	},
	Schedule: vendorkit.Schedule{Default: DefaultInterval, Min: MinInterval,
		Why: "CASB documents no rate limit and computes the user risk report daily, so faster polling gains nothing and risks an undocumented limit"},
	New: func(s *vendorkit.Section, opts httpx.Options) (any, error) { return New(ConfigOf(s, opts)) },
	Sources: func(c any, _ *vendorkit.Section, d vendorkit.Deps) []vendorkit.Source {
		return []vendorkit.Source{NewSource(c.(*Client), d.Store, d.Hub)}
	},
	Check: check,
	Level: LevelOf,
	Summary: func(s *vendorkit.Section) string {
		return fmt.Sprintf("casb %s report %s every %s", s.String("base_url"), s.String("report"), vendorkit.FormatDuration(s.Duration("interval")))
	},
	// The API host may be shared; it names the tenant less surely.
	Tenant: func(s *vendorkit.Section) (string, bool) {
		if u, err := url.Parse(s.String("base_url")); err == nil {
			return u.Host, false
		}
		return "", false
	},
}

// ConfigOf is the client config of a loaded section.
func ConfigOf(s *vendorkit.Section, opts httpx.Options) Config {
	return Config{BaseURL: s.String("base_url"), AccessKey: s.Secret("access_key"), AccessSecret: s.Secret("access_secret"),
		Report: s.String("report"), HTTP: opts}
}

func checkSection(s *vendorkit.Section, p vendorkit.Problems) {
	if !p.Read("report") {
		return
	}
	switch v := s.String("report"); {
	case v == "":
		p.At("report", "is empty; leave it out for %s, or name the report", DefaultReport)
	case strings.ContainsAny(v, "/\\%?#") || v == "." || v == ".." || !sanitize.Valid(v):
		p.At("report", "%s must be a report name like %s, not a path", p.Quoted("report", v, 40), DefaultReport)
	}
}

var configKeys = strings.NewReplacer("Config.", "", "BaseURL", "base_url", "AccessKey", "access_key", "AccessSecret", "access_secret", "Report", "report")

func backstop(s *vendorkit.Section) error {
	if _, err := New(ConfigOf(s, httpx.Options{})); err != nil {
		return errors.New(configKeys.Replace(strings.TrimPrefix(err.Error(), vendorName+": ")))
	}
	return nil
}

// LevelOf maps an Oracle CASB risk level. Only "Normal" is documented;
// the other words are read in the obvious way, and a word we do not know
// falls back to the maximum risk score read through the shared score
// buckets (model.LevelOfScore, also 0–100), so a new level never hides a
// risky user.
func LevelOf(level string, score int) model.Level {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "normal", "none", "no risk":
		return model.LevelNone
	case "low":
		return model.LevelLow
	case "medium", "moderate":
		return model.LevelMedium
	case "high":
		return model.LevelHigh
	case "critical", "very high", "severe":
		return model.LevelCritical
	}
	return model.LevelOfScore(score)
}
