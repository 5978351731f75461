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
)

// eventQuery is what the Events screen asks the store for, as the
// operator typed it: structured tokens and free text on one line.
//
//	user:ava.chen@example.com  ip:203.0.113.0/24  score>=76  type:6
//	since:1h  vendor:onelogin  and any other words as free text
type eventQuery struct {
	text     string // the line as typed, for showing and editing
	filter   store.EventFilter
	window   time.Duration // 0: all time
	problems []string
}

// filterHelp is shown under the filter prompt.
const filterHelp = "user:EMAIL|NAME  ip:ADDR|CIDR  score>=N  type:ID  vendor:NAME  since:1h|24h|7d|all  words…"

// parseFilter reads a filter line; window is the time window in force
// unless the line sets since:. The line is cleaned first: what was pasted
// into it is echoed in the status line and in problems, and stored text,
// which it is matched against, was cleaned the same way when it arrived.
func parseFilter(line string, window time.Duration) eventQuery {
	// Parsed as shown: an unclosed quote must not keep trailing spaces
	// that the shown (trimmed) text has lost.
	line = strings.TrimSpace(sanitize.Line(line))
	q := eventQuery{text: line, window: window}
	var words []string
	for _, tok := range tokens(line) {
		name, val, isKV := cutToken(tok)
		switch {
		case !isKV:
			words = append(words, tok)
		case name == "user":
			q.filter.User = val
		case name == "ip":
			ip, err := IPFilter(val)
			if err != nil {
				q.problems = append(q.problems, err.Error())
			} else {
				q.filter.IP = ip
			}
		case name == "score>=", name == "score":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 100 {
				q.problems = append(q.problems, fmt.Sprintf("score>=%s: want a score from 0 to 100", val))
			} else {
				q.filter.MinScore = n
			}
		case name == "type":
			for _, part := range strings.Split(val, ",") {
				n, err := strconv.Atoi(part)
				if err != nil || n <= 0 {
					q.problems = append(q.problems, fmt.Sprintf("type:%s: want event type ids like 5 or 5,6", val))
					break
				}
				q.filter.Types = append(q.filter.Types, n)
			}
		case name == "vendor":
			q.filter.Vendor = strings.ToLower(val)
		case name == "since":
			if val == "all" {
				q.window = 0
				break
			}
			d, err := config.ParseDuration(val)
			if err != nil || d <= 0 {
				q.problems = append(q.problems, fmt.Sprintf("since:%s: want a duration like 1h, 7d or all", val))
			} else {
				q.window = d
			}
		default:
			words = append(words, tok)
		}
	}
	q.filter.Text = strings.Join(words, " ")
	return q
}

// tokens splits a filter line on spaces, keeping a double-quoted stretch
// (user:"Ava Chen") in one token, without its quotes.
func tokens(line string) []string {
	var out []string
	var cur strings.Builder
	quoted, any := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, any = !quoted, true
		case !quoted && (r == ' ' || r == '\t'):
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

// cutToken splits "name:value" and "score>=N".
func cutToken(tok string) (name, val string, ok bool) {
	if rest, found := strings.CutPrefix(tok, "score>="); found {
		return "score>=", rest, true
	}
	name, val, ok = strings.Cut(tok, ":")
	if !ok || val == "" {
		return "", "", false
	}
	switch name {
	case "user", "ip", "score", "type", "vendor", "since":
		return name, val, true
	}
	return "", "", false
}

// describe is the filter in words for the status line.
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
	if f.User != "" {
		parts = append(parts, "user "+f.User)
	}
	if f.IP != "" {
		parts = append(parts, "ip "+f.IP)
	}
	if f.MinScore > 0 {
		parts = append(parts, fmt.Sprintf("score ≥ %d", f.MinScore))
	}
	if len(f.Types) > 0 {
		ids := make([]string, len(f.Types))
		for i, t := range f.Types {
			ids[i] = strconv.Itoa(t)
		}
		parts = append(parts, "type "+strings.Join(ids, ","))
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
