package cloudflare

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
)

// ParseRateLimit reads Cloudflare's rate-limit headers (the IETF draft's
// structured-field form):
//
//	Ratelimit: "default";r=<remaining>;t=<seconds to reset>
//	Ratelimit-Policy: "default";q=<quota>;w=<window seconds>
//
// It tolerates parameters in any order, unquoted names, several policies
// (the one with the least left wins), the older draft's
// "limit=, remaining=, reset=" form and its separate RateLimit-Limit /
// -Remaining / -Reset headers. It reports ok only when the remaining count
// is known: a budget of "0" must not be made up from a missing header.
func ParseRateLimit(h http.Header, now time.Time) (httpx.RateLimit, bool) {
	items := parseItems(h.Values("Ratelimit"))
	policies := parseItems(h.Values("Ratelimit-Policy"))

	var best *sfItem
	bestLeft := math.MaxInt
	for i := range items {
		if r, ok := items[i].num("r", "remaining"); ok && r < bestLeft {
			best, bestLeft = &items[i], r
		}
	}
	if best == nil {
		// The older draft's one-value-per-header form.
		legacy := sfItem{params: map[string]string{}}
		for name, key := range map[string]string{"Ratelimit-Remaining": "r", "Ratelimit-Reset": "t", "Ratelimit-Limit": "q"} {
			if v := strings.TrimSpace(h.Get(name)); v != "" {
				legacy.params[key] = v
			}
		}
		if r, ok := legacy.num("r"); ok {
			best, bestLeft = &legacy, r
		}
	}
	if best == nil {
		return httpx.RateLimit{}, false
	}
	rl := httpx.RateLimit{Remaining: bestLeft}
	if t, ok := best.seconds("t", "reset"); ok {
		rl.Reset = now.Add(t)
	}
	limit, hasLimit := best.num("q", "limit")
	pol := matchPolicy(policies, best.name)
	if pol != nil {
		if q, ok := pol.num("q", "limit"); ok && !hasLimit {
			limit, hasLimit = q, true
		}
		rl.Policy = pol.describe()
	}
	if hasLimit {
		rl.Limit = limit
	}
	return rl, true
}

// matchPolicy finds the policy named like the limit, or the only one, or
// the first that states a quota.
func matchPolicy(policies []sfItem, name string) *sfItem {
	for i := range policies {
		if name != "" && policies[i].name == name {
			return &policies[i]
		}
	}
	if len(policies) == 1 {
		return &policies[0]
	}
	for i := range policies {
		if _, ok := policies[i].num("q", "limit"); ok {
			return &policies[i]
		}
	}
	return nil
}

// sfItem is one list member: an optional name and its parameters.
type sfItem struct {
	name   string
	params map[string]string
}

func (it *sfItem) num(keys ...string) (int, bool) {
	for _, k := range keys {
		if v, ok := it.params[k]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			if f < 0 {
				f = 0
			}
			return int(min(f, math.MaxInt32)), true
		}
	}
	return 0, false
}

func (it *sfItem) seconds(keys ...string) (time.Duration, bool) {
	for _, k := range keys {
		if v, ok := it.params[k]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || f < 0 || f > 366*24*3600 {
				continue
			}
			return time.Duration(f * float64(time.Second)), true
		}
	}
	return 0, false
}

func (it *sfItem) describe() string {
	q, hasQ := it.num("q", "limit")
	w, hasW := it.seconds("w", "window")
	name := sanitize.LineN(it.name, 32) // vendor text, shown on the health line
	if name == "" {
		name = "policy"
	}
	switch {
	case hasQ && hasW:
		return fmt.Sprintf("%s: %d requests per %s", name, q, w)
	case hasQ:
		return fmt.Sprintf("%s: %d requests", name, q)
	}
	return ""
}

// parseItems splits header values into list members and parameters,
// honouring quotes. Nameless members (the older "limit=1, remaining=2"
// form) are merged into one.
func parseItems(values []string) []sfItem {
	var items []sfItem
	loose := -1 // index of the merged nameless member
	for _, v := range values {
		for _, member := range splitOutsideQuotes(v, ',') {
			parts := splitOutsideQuotes(member, ';')
			first := strings.TrimSpace(parts[0])
			if first == "" && len(parts) == 1 {
				continue
			}
			it := sfItem{params: map[string]string{}}
			rest := parts[1:]
			if !strings.HasPrefix(first, `"`) && strings.Contains(first, "=") {
				rest = parts // no name: the first part is a parameter too
			} else {
				it.name = unquote(first)
			}
			for _, p := range rest {
				k, val, _ := strings.Cut(p, "=")
				k = strings.ToLower(strings.TrimSpace(k))
				if k != "" {
					it.params[k] = unquote(strings.TrimSpace(val))
				}
			}
			// The older draft's policy was a bare number: "100;w=60".
			if _, err := strconv.Atoi(it.name); err == nil && it.params["q"] == "" {
				it.params["q"], it.name = it.name, ""
			}
			if it.name == "" {
				if loose < 0 {
					items = append(items, sfItem{params: map[string]string{}})
					loose = len(items) - 1
				}
				for k, val := range it.params {
					items[loose].params[k] = val
				}
				continue
			}
			items = append(items, it)
		}
	}
	return items
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}
