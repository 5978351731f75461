package config

import (
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/rules"
	"github.com/risktop/risktop/sources/vendors"
)

const rulesBase = `sources:
  onelogin:
    client_id: x
    client_secret: ${ONELOGIN_CLIENT_SECRET}
    base_url: https://acme.onelogin.com
`

func ruleNamed(rs []rules.Rule, name string) (rules.Rule, bool) {
	for _, r := range rs {
		if r.Name == name {
			return r, true
		}
	}
	return rules.Rule{}, false
}

// Without rules: every built-in rule stands; entries change a built-in
// rule by name (only the keys given), turn one off, or add a new one.
func TestRulesOverrideDefaults(t *testing.T) {
	cfg, _ := mustParse(t, rulesBase, testEnv(nil))
	if len(cfg.Rules) != len(rules.Defaults()) {
		t.Fatalf("rules %+v", cfg.Rules)
	}
	cfg, warns := mustParse(t, rulesBase+`rules:
  - name: burst
    kind: failed_burst
    failures: 30
    within: 5m
    severity: critical
    response: push_range high
  - name: score
    enabled: false
  - name: rise
    level: critical
  - name: office
    kind: shared_address
    people: 50
    within: 1h
`, testEnv(nil))
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	burst, _ := ruleNamed(cfg.Rules, "burst")
	if burst.Failures != 30 || burst.Within != 5*time.Minute || burst.Severity != model.LevelCritical ||
		burst.Response.String() != "push_range high" || !burst.Enabled {
		t.Errorf("burst %+v", burst)
	}
	if s, _ := ruleNamed(cfg.Rules, "score"); s.Enabled || s.Score != 90 {
		t.Errorf("score %+v", s)
	}
	if r, _ := ruleNamed(cfg.Rules, "rise"); r.Level != model.LevelCritical || r.Severity != model.LevelHigh {
		t.Errorf("rise %+v", r)
	}
	office, ok := ruleNamed(cfg.Rules, "office")
	if !ok || office.Kind != model.KindSharedAddress || office.People != 50 || office.Within != time.Hour || !office.Enabled {
		t.Errorf("office %+v", office)
	}
	if len(cfg.Rules) != len(rules.Defaults())+1 {
		t.Errorf("%d rules", len(cfg.Rules))
	}
}

// Mistakes are named with the file, line and column, the rule and the key.
func TestRulesErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{`rules:
  - name: burst
    failures: many
`, `config.yaml:8:15: rules.burst.failures: "many" is not a whole number`},
		{`rules:
  - name: burst
    within: 5
`, `config.yaml:8:13: rules.burst.within: 5 has no unit; write 5s (or a unit of m, h or d)`},
		{`rules:
  - name: burst
    severity: extreme
`, `config.yaml:8:15: rules.burst.severity: "extreme" is not a level; write low, medium, high or critical`},
		{`rules:
  - name: burst
    response: push_range sky
`, `config.yaml:8:15: rules.burst.response: "sky" is not a level (low, medium, high or critical)`},
		{`rules:
  - name: burst
    withn: 5m
`, `config.yaml:8:5: rules[0].withn: unknown key; did you mean "within"?`},
		{`rules:
  - name: brust
    failures: 3
`, `config.yaml:7:5: rules.brust.kind: missing; "brust" is no built-in rule; did you mean "burst"?`},
		{`rules:
  - name: new
    kind: burst
`, `config.yaml:8:11: rules.new.kind: "burst" is not a rule kind; use failed_burst, shared_address, level_rise, high_score or multi_vendor`},
		{`rules:
  - name: score
    failures: 3
`, `config.yaml:8:15: rules.score.failures: a high_score rule has no failures; it takes score`},
		{`rules:
  - name: burst
    failures: 1
`, `config.yaml:8:15: rules.burst.failures: must be a whole number of at least 2`},
		{`rules:
  - name: score
    response: push_range high
`, `config.yaml:8:15: rules.score.response: push_range does not fit a high_score rule`},
		{`rules:
  - name: burst
  - name: burst
`, `config.yaml:8:11: rules.burst: rule named twice; already at line 7, keep one`},
		{`rules:
  burst: {}
`, `config.yaml:7:3: rules: expected a list of rules`},
	} {
		_, _, err := Parse("config.yaml", []byte(rulesBase+c.yaml), testEnv(nil), vendors.All)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rules:\n%s\ngot:  %v\nwant: %s", c.yaml, err, c.want)
		}
	}
}
