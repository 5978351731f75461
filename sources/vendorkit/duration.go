package vendorkit

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseDuration reads Go duration syntax plus a day unit, so retention and
// back-fill windows read the way vendors document them: "90d", "1d12h".
// A day is 24 hours; daylight-saving changes are ignored.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	neg := false
	rest := s
	if rest[0] == '-' || rest[0] == '+' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	var days float64
	// Peel off a leading "<number>d" and hand the remainder to Go.
	i := 0
	for i < len(rest) && (rest[i] == '.' || rest[i] >= '0' && rest[i] <= '9') {
		i++
	}
	if i > 0 && i < len(rest) && rest[i] == 'd' {
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, err
		}
		days, rest = n, rest[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, err
		}
		if d < 0 || strings.HasPrefix(rest, "+") {
			return 0, errors.New("sign in the middle")
		}
	} else if i == 0 {
		return 0, errors.New("no number")
	}
	total := float64(d) + days*float64(day)
	if total > math.MaxInt64 {
		return 0, errors.New("too long")
	}
	if neg {
		total = -total
	}
	return time.Duration(total), nil
}

// FormatDuration is the inverse of ParseDuration in its shortest form:
// 90d, 1d12h, 5m, 30s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / day
	rest := d % day
	out := sign
	if days > 0 {
		out += strconv.FormatInt(int64(days), 10) + "d"
	}
	if rest == 0 {
		return out
	}
	s := rest.String()
	// time.Duration prints 5m0s and 1h0m0s; drop the zero tails.
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return out + s
}
