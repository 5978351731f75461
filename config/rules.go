package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/rules"
)

// ruleKeys are the keys one rule under rules: takes.
var ruleKeys = []string{"name", "kind", "enabled", "severity", "response", "failures", "people", "within", "level", "score", "vendors"}

var ruleHints = map[string]string{
	"threshold": "unknown key; a rule's threshold is failures: (failed_burst), people: (shared_address), score: (high_score) or vendors: (multi_vendor)",
	"window":    "unknown key; a rule's window is called within",
	"disabled":  "unknown key; write enabled: false to turn a rule off",
}

// rules reads the rules: list: each entry changes the built-in rule of
// its name (only the keys it gives) or, with a kind, adds a rule; the
// rest of the defaults stand. Problems name the rule and the key.
func (d *decoder) rules(top map[string]entry) []rules.Rule {
	out := rules.Defaults()
	e, ok := top["rules"]
	if !ok {
		return out
	}
	n := resolve(e.val)
	if n == nil || isNull(n) {
		return out
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, "rules", "expected a list of rules (- name: burst …), found %s", kindName(n))
		return out
	}
	var names []string
	for _, r := range out {
		names = append(names, r.Name)
	}
	seen := map[string]int{}
	for i, item := range n.Content {
		path := fmt.Sprintf("rules[%d]", i)
		m := d.mapping(path, item, ruleKeys, ruleHints, "a mapping of one rule's settings (name:, kind:, failures:, …)")
		if m == nil {
			continue
		}
		s := section{d: d, path: path, at: resolve(item), m: m, read: map[string]bool{}}
		name, nameNode := s.need("name", "the rule's name: a built-in one ("+list(names, "or")+") to change it, or a new one with a kind")
		if name == "" {
			continue
		}
		s.path = "rules." + name
		if line, dup := seen[name]; dup {
			d.add(nameNode, s.path, "rule named twice; already at line %d, keep one", line)
			continue
		}
		seen[name] = nameNode.Line
		at := -1
		for j, r := range out {
			if r.Name == name {
				at = j
			}
		}
		r, ok := d.rule(s, name, at, out, names)
		if !ok {
			continue
		}
		if at >= 0 {
			out[at] = r
		} else {
			out = append(out, r)
		}
	}
	return out
}

// rule reads one entry over the rule it changes (out[at], or a new one).
func (d *decoder) rule(s section, name string, at int, out []rules.Rule, names []string) (rules.Rule, bool) {
	before := len(d.probs)
	var r rules.Rule
	kindText, kindNode, _ := s.str("kind")
	switch {
	case kindText != "":
		kind := model.RuleKind(strings.ToLower(kindText))
		base, ok := template(kind)
		if !ok {
			d.add(kindNode, s.path+".kind", "%s is not a rule kind; use %s", d.quoted(s.path+".kind", kindText, 40), list(kindNames(), "or"))
			return r, false
		}
		if at >= 0 && out[at].Kind == kind {
			base = out[at]
		}
		r = base
	case at >= 0:
		r = out[at]
	default:
		msg := "set kind: to one of " + list(kindNames(), "or") + " for a new rule"
		if sug := suggest(name, names); sug != "" {
			msg = fmt.Sprintf("%q is no built-in rule; did you mean %q? Or %s", name, sug, msg)
		}
		s.missing("kind", "%s", msg)
		return r, false
	}
	r.Name = name
	nodes := map[string]*yaml.Node{}
	if v, n, ok := s.str("enabled"); ok && v != "" {
		nodes["enabled"] = n
		switch strings.ToLower(v) {
		case "true", "yes", "on":
			r.Enabled = true
		case "false", "no", "off":
			r.Enabled = false
		default:
			d.add(n, s.path+".enabled", "%s is not a boolean; write true or false", d.quoted(s.path+".enabled", v, 40))
		}
	}
	for _, key := range []string{"severity", "level"} {
		v, n, ok := s.str(key)
		if !ok || v == "" {
			continue
		}
		nodes[key] = n
		l, ok := model.ParseLevel(v)
		if !ok || l < model.LevelLow {
			d.add(n, s.path+"."+key, "%s is not a level; write low, medium, high or critical", d.quoted(s.path+"."+key, v, 40))
			continue
		}
		if key == "severity" {
			r.Severity = l
		} else {
			r.Level = l
		}
	}
	if v, n, ok := s.str("response"); ok && v != "" {
		nodes["response"] = n
		resp, err := rules.ParseResponse(v)
		if err != nil {
			d.add(n, s.path+".response", "%v", err)
		} else {
			r.Response = resp
		}
	}
	for _, key := range []string{"failures", "people", "score", "vendors"} {
		v, n, ok := s.str(key)
		if !ok || v == "" {
			continue
		}
		nodes[key] = n
		x, err := strconv.Atoi(v)
		if err != nil {
			d.add(n, s.path+"."+key, "%s is not a whole number", d.quoted(s.path+"."+key, v, 40))
			continue
		}
		switch key {
		case "failures":
			r.Failures = x
		case "people":
			r.People = x
		case "score":
			r.Score = x
		case "vendors":
			r.Vendors = x
		}
	}
	if v, n, ok := s.duration("within"); ok {
		nodes["within"] = n
		r.Within = v
	}
	if len(d.probs) > before {
		return r, false
	}
	// A key the kind does not read is a mistake worth saying.
	for key, n := range nodes {
		if !uses(r.Kind, key) {
			d.add(n, s.path+"."+key, "a %s rule has no %s; it takes %s", r.Kind, key, list(kindKeys(r.Kind), "and"))
		}
	}
	for _, p := range rules.Check(r) {
		n := nodes[p.Field]
		if n == nil {
			n = s.at
		}
		path := s.path
		if p.Field != "" {
			path += "." + p.Field
		}
		d.add(n, path, "%s", p.Message)
	}
	return r, len(d.probs) == before
}

// template is the rule a new rule of a kind starts from: the first
// built-in rule of that kind.
func template(kind model.RuleKind) (rules.Rule, bool) {
	for _, r := range rules.Defaults() {
		if r.Kind == kind {
			return r, true
		}
	}
	return rules.Rule{}, false
}

func kindNames() []string {
	out := make([]string, len(model.RuleKinds))
	for i, k := range model.RuleKinds {
		out[i] = string(k)
	}
	return out
}

// kindKeys are the parameters a kind reads, besides enabled, severity
// and response.
func kindKeys(kind model.RuleKind) []string {
	switch kind {
	case model.KindFailedBurst:
		return []string{"failures", "within"}
	case model.KindSharedAddress:
		return []string{"people", "within"}
	case model.KindLevelRise:
		return []string{"level"}
	case model.KindHighScore:
		return []string{"score"}
	case model.KindMultiVendor:
		return []string{"level", "vendors"}
	}
	return nil
}

func uses(kind model.RuleKind, key string) bool {
	switch key {
	case "enabled", "severity", "response":
		return true
	}
	for _, k := range kindKeys(kind) {
		if k == key {
			return true
		}
	}
	return false
}
