package config

import (
	"time"

	"github.com/risktop/risktop/sources/vendorkit"
)

const day = 24 * time.Hour

// ParseDuration reads the config's durations: Go's syntax plus a day unit
// ("90d", "1d12h"). Vendors' keys use the same (vendorkit.ParseDuration).
func ParseDuration(s string) (time.Duration, error) { return vendorkit.ParseDuration(s) }

// FormatDuration is the inverse of ParseDuration in its shortest form:
// 90d, 1d12h, 5m, 30s.
func FormatDuration(d time.Duration) string { return vendorkit.FormatDuration(d) }
