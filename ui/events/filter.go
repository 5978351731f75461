package events

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/sanitize"
	"github.com/risktop/risktop/sources/vendorkit"
)

// eventQuery is what the Events screen asks the store for, as the
// operator typed it: structured terms and free text on one line.
//
//	user:ava.chen@example.com  ip:203.0.113.0/24  score>=76  type:failed
//	since:1h  vendor:onelogin  and any other words as free text
//
// A term with an unknown key or a bad value is a problem, never free
// text: the screen keeps the filter it had until the line is right.
type eventQuery struct {
	text     string // the line as typed, for showing and editing
	filter   store.EventFilter
	window   time.Duration // 0: all time
	since    bool          // the line sets the window (since:)
	problems []string
}

// filterHelp is shown under the filter prompt.
const filterHelp = "user:EMAIL|NAME  ip:ADDR|CIDR  score>=N  type:ID|NAME  vendor:NAME  since:1h|7d|all  words…"

// filterKeys are the keys a term may have, as the errors list them.
const filterKeys = "user ip score type vendor since"

// parseFilter reads a filter line; window is the time window in force
// unless the line sets since:. vendors, when given, are the names
// vendor: takes. The line is cleaned first: what was pasted into it is
// echoed in the status line and in problems, and stored text, which it is
// matched against, was cleaned the same way when it arrived.
func parseFilter(line string, window time.Duration, vendors ...vendorkit.Info) eventQuery {
	// Parsed as shown: an unclosed quote must not keep trailing spaces
	// that the shown (trimmed) text has lost.
	line = strings.TrimSpace(sanitize.Line(line))
	q := eventQuery{text: line, window: window}
	var words []string
	bad := func(format string, args ...any) { q.problems = append(q.problems, fmt.Sprintf(format, args...)) }
	for _, tok := range tokens(line) {
		name, op, val, isTerm := cutTerm(tok)
		if !isTerm {
			words = append(words, tok.text)
			continue
		}
		if !knownKey(name) {
			bad("no key %q: use %s (or \"quote\" text)", name, filterKeys)
			continue
		}
		if val == "" {
			bad("%s%s needs a value", name, op)
			continue
		}
		if name != "score" && op != ":" {
			bad("%s%s%s: %s takes %s:VALUE", name, op, val, name, name)
			continue
		}
		switch name {
		case "user":
			if q.filter.User == "" {
				q.filter.User = val
			} else {
				q.filter.Users = append(q.filter.Users, val)
			}
		case "ip":
			ip, err := IPFilter(val)
			if err != nil {
				bad("ip:%s: %s", val, "want an address or a prefix like 203.0.113.0/24")
			} else {
				q.filter.IP = ip
			}
		case "score":
			n, err := strconv.Atoi(val)
			switch {
			case op != ":" && op != ">=" && op != ">":
				bad("score%s%s: score takes score>=N (or score>N)", op, val)
			case err != nil || n < 0 || n > 100:
				bad("score%s%s: want a score from 0 to 100", op, val)
			case op == ">" && n == 100:
				bad("score>100: no score is above 100")
			case op == ">":
				q.filter.MinScore = n + 1
			default:
				q.filter.MinScore = n
			}
		case "type":
			for _, part := range strings.Split(val, ",") {
				if n, err := strconv.Atoi(part); err == nil && n > 0 {
					q.filter.Types = append(q.filter.Types, n)
				} else if typeName(part) {
					q.filter.TypeNames = append(q.filter.TypeNames, strings.ToUpper(part))
				} else {
					bad("type:%s: want event type ids or names like 5, USER_FAILED_ONELOGIN_LOGIN or failed", val)
					break
				}
			}
		case "vendor":
			v, ok := vendorNamed(val, vendors)
			if !ok {
				names := make([]string, len(vendors))
				for i, v := range vendors {
					names[i] = v.Name
				}
				bad("vendor:%s: not a vendor (%s)", val, strings.Join(names, ", "))
				break
			}
			q.filter.Vendor = v
		case "since":
			if strings.EqualFold(val, "all") {
				q.window, q.since = 0, true
				break
			}
			d, err := config.ParseDuration(val)
			if err != nil || d <= 0 {
				bad("since:%s: want a duration like 1h, 7d or all", val)
			} else {
				q.window, q.since = d, true
			}
		}
	}
	q.filter.Text = strings.Join(words, " ")
	return q
}

// vendorNamed finds a vendor by name, short or display name, any case;
// with no vendors to check against, any name goes.
func vendorNamed(s string, vendors []vendorkit.Info) (string, bool) {
	if len(vendors) == 0 {
		return strings.ToLower(s), true
	}
	for _, v := range vendors {
		if strings.EqualFold(s, v.Name) || strings.EqualFold(s, v.Short) || strings.EqualFold(s, v.Display) {
			return v.Name, true
		}
	}
	return "", false
}

// typeName reports a word that may be (part of) an event type's name.
func typeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ' ' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// token is one space-separated stretch of the line, without its quotes.
type token struct {
	text   string
	quoted bool // it began with a quote: always free text ("foo:bar")
}

// tokens splits a filter line on spaces, keeping a double-quoted stretch
// (user:"Ava Chen") in one token, without its quotes.
func tokens(line string) []token {
	var out []token
	var cur strings.Builder
	quoted, any, first := false, false, false
	for _, r := range line {
		switch {
		case r == '"':
			if !any {
				first = true
			}
			quoted, any = !quoted, true
		case !quoted && (r == ' ' || r == '\t'):
			if any {
				out = append(out, token{cur.String(), first})
				cur.Reset()
				any, first = false, false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, token{cur.String(), first})
	}
	return out
}

// cutTerm splits a term: a key of letters, an operator (":", ">=", ">",
// "<=", "<" or "="), and a value. A token that starts otherwise is free
// text (an address "2001:db8::1", a time "14:03"), and so is a quoted one
// and one with an unknown key but no value ("travel:", as in a reason).
func cutTerm(tok token) (name, op, val string, ok bool) {
	if tok.quoted {
		return "", "", "", false
	}
	s := tok.text
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == 0 || i == len(s) {
		return "", "", "", false
	}
	name = strings.ToLower(s[:i])
	for _, o := range []string{">=", "<=", ":", ">", "<", "="} {
		if strings.HasPrefix(s[i:], o) {
			op, val = o, s[i+len(o):]
			break
		}
	}
	if op == "" {
		return "", "", "", false
	}
	if !knownKey(name) {
		if val == "" {
			return "", "", "", false
		}
		// An unknown key is reported under it, as typed.
		return s[:i], op, val, true
	}
	return name, op, val, true
}

func knownKey(name string) bool {
	switch name {
	case "user", "ip", "score", "type", "vendor", "since":
		return true
	}
	return false
}

// check reports the first problem of a line for the filter line: an
// unknown key is named with the keys there are.
func (q eventQuery) check() string {
	if len(q.problems) == 0 {
		return ""
	}
	return q.problems[0]
}

// describe is the filter in words for the status line: exactly what is
// applied, the window included.
func (q eventQuery) describe() string {
	var parts []string
	f := q.filter
	if q.window > 0 {
		parts = append(parts, "last "+config.FormatDuration(q.window))
	} else {
		parts = append(parts, "all time")
	}
	if f.Vendor != "" {
		parts = append(parts, f.Vendor)
	}
	if who := append([]string{f.User}, f.Users...); f.User != "" {
		parts = append(parts, "user "+strings.Join(who, " or "))
	}
	if f.IP != "" {
		parts = append(parts, "ip "+f.IP)
	}
	if f.MinScore > 0 {
		parts = append(parts, fmt.Sprintf("score ≥ %d", f.MinScore))
	}
	if len(f.Types)+len(f.TypeNames) > 0 {
		var ts []string
		for _, t := range f.Types {
			ts = append(ts, strconv.Itoa(t))
		}
		for _, n := range f.TypeNames {
			ts = append(ts, strings.ToLower(n))
		}
		parts = append(parts, "type "+strings.Join(ts, " or "))
	}
	if f.Text != "" {
		parts = append(parts, fmt.Sprintf("%q", f.Text))
	}
	return strings.Join(parts, " · ")
}

// IPFilter checks an :ip argument: an address or a CIDR prefix.
func IPFilter(arg string) (string, error) {
	if arg == "" {
		return "", errString(":ip needs an address or a prefix, e.g. :ip 203.0.113.0/24")
	}
	if strings.Contains(arg, "/") {
		p, err := netip.ParsePrefix(arg)
		if err != nil {
			return "", errString(arg + " is not an address prefix like 203.0.113.0/24")
		}
		return p.Masked().String(), nil
	}
	if ip := model.NormalizeIP(arg); ip != "" {
		return ip, nil
	}
	return "", errString(arg + " is not an IPv4 or IPv6 address")
}

type errString string

func (e errString) Error() string { return string(e) }
