// Package rules holds the detection rules: their definitions, the
// built-in defaults, validation, and their evaluation over events and
// risk-level changes. Evaluation is pure: it reads only the times of the
// events and changes it is given (never the wall clock), so tests drive
// time by the data they feed. sources/detect runs it over the store.
package rules

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/risktop/risktop/model"
)

// Rule is one detection rule. Which parameters count depends on Kind:
//
//	failed_burst    Failures failed sign-ins from one range (/24, /48) Within a window
//	shared_address  People distinct people on one address Within a window
//	level_rise      a person's level in a vendor rising to Level or above
//	high_score      an event scoring at least Score
//	multi_vendor    a person at Level or above in Vendors vendors at once
type Rule struct {
	Name     string
	Kind     model.RuleKind
	Enabled  bool
	Severity model.Level // low, medium, high or critical
	Response model.Response

	Failures int           // failed_burst
	People   int           // shared_address
	Within   time.Duration // failed_burst, shared_address
	Level    model.Level   // level_rise, multi_vendor
	Score    int           // high_score
	Vendors  int           // multi_vendor
}

// Defaults are the built-in rules; config overrides or disables them by
// name. The thresholds sit well above the simulator's background (a few
// failures an hour per range, two people at most per address) and well
// below its credential-stuffing burst (about 30 failures a minute).
func Defaults() []Rule {
	return []Rule{
		{Name: "burst", Kind: model.KindFailedBurst, Enabled: true, Severity: model.LevelHigh,
			Failures: 20, Within: 5 * time.Minute,
			Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelHigh}},
		{Name: "shared_address", Kind: model.KindSharedAddress, Enabled: true, Severity: model.LevelMedium,
			People: 10, Within: 10 * time.Minute,
			Response: model.Response{Kind: model.ResponsePushRange, Level: model.LevelMedium}},
		{Name: "rise", Kind: model.KindLevelRise, Enabled: true, Severity: model.LevelHigh,
			Level:    model.LevelHigh,
			Response: model.Response{Kind: model.ResponsePushPerson, Level: model.LevelHigh}},
		{Name: "score", Kind: model.KindHighScore, Enabled: true, Severity: model.LevelMedium,
			Score:    90,
			Response: model.Response{Kind: model.ResponsePushPerson, Level: model.LevelHigh}},
		{Name: "two_vendors", Kind: model.KindMultiVendor, Enabled: true, Severity: model.LevelCritical,
			Level: model.LevelHigh, Vendors: 2,
			Response: model.Response{Kind: model.ResponsePushPerson, Level: model.LevelCritical}},
	}
}

// Default returns the built-in rule of a name.
func Default(name string) (Rule, bool) {
	for _, r := range Defaults() {
		if r.Name == name {
			return r, true
		}
	}
	return Rule{}, false
}

// MaxWithin bounds a rule's window: the engine rebuilds windows from the
// store on start, and a day of events is as far as that stays quick.
const MaxWithin = 24 * time.Hour

// Problem is what is wrong with one parameter of a rule ("" for the rule
// as a whole), in words an operator can act on.
type Problem struct {
	Field   string // failures, people, within, level, score, vendors, severity, response, kind, name
	Message string
}

func (p Problem) Error() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// Check lists what is wrong with a rule (nil when nothing is).
func Check(r Rule) []Problem {
	var ps []Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Name) == "" || strings.ContainsAny(r.Name, ": \t") {
		add("name", "%q is not a rule name (one word, no colon)", r.Name)
	}
	if r.Severity < model.LevelLow || r.Severity > model.LevelCritical {
		add("severity", "must be low, medium, high or critical")
	}
	needWindow := func() {
		switch {
		case r.Within <= 0:
			add("within", "must be a positive duration, like 5m")
		case r.Within > MaxWithin:
			add("within", "%v is longer than the most a window may be (%v)", r.Within, MaxWithin)
		}
	}
	needLevel := func() {
		if r.Level < model.LevelLow || r.Level > model.LevelCritical {
			add("level", "must be low, medium, high or critical")
		}
	}
	var responses []model.ResponseKind
	switch r.Kind {
	case model.KindFailedBurst:
		if r.Failures < 2 {
			add("failures", "must be a whole number of at least 2")
		}
		needWindow()
		responses = []model.ResponseKind{model.ResponsePushRange}
	case model.KindSharedAddress:
		if r.People < 2 {
			add("people", "must be a whole number of at least 2")
		}
		needWindow()
		responses = []model.ResponseKind{model.ResponsePushRange}
	case model.KindLevelRise:
		needLevel()
		responses = []model.ResponseKind{model.ResponsePushPerson, model.ResponseResetCloudflare}
	case model.KindHighScore:
		if r.Score < 1 || r.Score > 100 {
			add("score", "must be a whole number from 1 to 100")
		}
		responses = []model.ResponseKind{model.ResponsePushPerson, model.ResponseResetCloudflare}
	case model.KindMultiVendor:
		needLevel()
		if r.Vendors < 2 {
			add("vendors", "must be a whole number of at least 2")
		}
		responses = []model.ResponseKind{model.ResponsePushPerson, model.ResponseResetCloudflare}
	default:
		add("kind", "%q is not a rule kind (one of %s)", r.Kind, kindList())
		return ps
	}
	switch k := r.Response.Kind; {
	case k == "" || k == model.ResponseNone:
	case !containsKind(responses, k):
		add("response", "%s does not fit a %s rule (it may be %s or none)", k, r.Kind, joinKinds(responses))
	case k == model.ResponsePushRange && (r.Response.Level < model.LevelLow || r.Response.Level > model.LevelHigh):
		add("response", "push_range needs a level: low, medium or high (Okta's levels), like \"push_range high\"")
	case k == model.ResponsePushPerson && (r.Response.Level < model.LevelLow || r.Response.Level > model.LevelCritical):
		add("response", "push_person needs a level: low, medium, high or critical, like \"push_person high\"")
	case k == model.ResponseResetCloudflare && r.Response.Level != model.LevelUnknown:
		add("response", "reset_cloudflare takes no level")
	}
	return ps
}

// CheckAll checks every rule and that no two share a name.
func CheckAll(rs []Rule) error {
	var errs []error
	seen := map[string]bool{}
	for _, r := range rs {
		for _, p := range Check(r) {
			errs = append(errs, fmt.Errorf("rule %q: %w", r.Name, p))
		}
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("rule %q: named twice", r.Name))
		}
		seen[r.Name] = true
	}
	return errors.Join(errs...)
}

// ParseResponse reads a response as config writes it: "none",
// "push_range high", "push_person critical", "reset_cloudflare".
func ParseResponse(s string) (model.Response, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 0 || len(f) > 2 {
		return model.Response{}, fmt.Errorf("%q is not a response (one of %s, pushes with a level: \"push_range high\")", s, responseList())
	}
	r := model.Response{Kind: model.ResponseKind(f[0])}
	known := false
	for _, k := range model.ResponseKinds {
		known = known || k == r.Kind
	}
	if !known {
		return model.Response{}, fmt.Errorf("%q is not a response (one of %s)", f[0], responseList())
	}
	if len(f) == 2 {
		l, ok := model.ParseLevel(f[1])
		if !ok || l == model.LevelUnknown || l == model.LevelNone {
			return model.Response{}, fmt.Errorf("%q is not a level (low, medium, high or critical)", f[1])
		}
		r.Level = l
	}
	return r, nil
}

func containsKind(ks []model.ResponseKind, k model.ResponseKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func joinKinds(ks []model.ResponseKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " or ")
}

func kindList() string {
	s := make([]string, len(model.RuleKinds))
	for i, k := range model.RuleKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func responseList() string {
	s := make([]string, len(model.ResponseKinds))
	for i, k := range model.ResponseKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Failed reports whether an event is a failed sign-in, as the Changes
// panel counts them (model.FailedType).
func Failed(e model.Event) bool { return e.Failed() }

// RangeOf is the range an address is grouped in (model.RangeOf: its /24
// or /48); "" for something that is not an address.
func RangeOf(ip string) string {
	p := model.RangeOf(ip)
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

// PersonKey names an event's person as the risk history does: the
// normalised email, else vendor:user id, else vendor:name (lower case);
// "" when the event names no one.
func PersonKey(e model.Event) string { return personKey(&e) }

func personKey(e *model.Event) string {
	switch {
	case e.UserKey != "":
		return e.UserKey
	case e.UserID != "":
		return e.Vendor + ":" + e.UserID
	case e.UserName != "":
		return e.Vendor + ":" + strings.ToLower(e.UserName)
	}
	return ""
}
