package cfsim

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// spec is one predefined behavior.
type spec struct {
	key, name, description string
	level                  string        // default risk level
	signal                 simkit.Signal // the World signal that triggers it; SignalNone: never fires here
}

// catalog lists the predefined behaviors. imp_travel and high_dlp are the
// confirmed API keys (vendors.md §3.5); the other keys are INVENTED for the
// simulator, since Cloudflare's keys for them are unconfirmed. Clients must
// not hard-code any of them.
func catalog() []spec {
	return []spec{
		{"imp_travel", "Impossible Travel",
			"User had a successful Access application log in from two locations that they could not have traveled to in that period of time.",
			"high", simkit.SignalTravel},
		{"high_dlp", "High Number of DLP Policies Triggered",
			"User has triggered an active DLP profile in a Gateway policy fifteen times or more within one minute.",
			"medium", simkit.SignalDLP},
		{"malicious_file", "Interaction with malicious file", // key invented
			"User uploaded or downloaded a file that Gateway anti-virus or sandboxing flagged as malicious, even if it was blocked.",
			"high", simkit.SignalMalware},
		{"suspicious_domain", "Suspicious Security Domain Visited", // key invented
			"User visited a domain in the security risks or security threats categories, even if it was blocked.",
			"low", simkit.SignalDomain},
		{"high_risk_domain", "High Risk Domain Visited", // key invented
			"User visited a domain in the questionable content, violence or CIPA categories, even if it was blocked.",
			"low", simkit.SignalNone},
		{"sentinelone_threat", "SentinelOne threat detected on machine", // key invented
			"SentinelOne returned one of the configured device posture attributes for the user's machine.",
			"high", simkit.SignalNone},
		{"crowdstrike_low_zta", "CrowdStrike Low ZTA security score", // key invented
			"A CrowdStrike ZTA score (OS, overall or sensor config) between 0 and 50.",
			"high", simkit.SignalNone},
		{"crowdstrike_medium_zta", "CrowdStrike Medium ZTA security score", // key invented
			"A CrowdStrike ZTA score (OS, overall or sensor config) between 50 and 79.",
			"medium", simkit.SignalNone},
	}
}

// setting is a behavior's configuration from a moment on.
type setting struct {
	at      time.Time // zero: from the beginning of history
	enabled bool
	level   string
}

// behavior keeps every configuration it has had, so a detection is judged
// by the configuration at the activity's time: disabling stops new
// detections and keeps the old ones.
type behavior struct {
	spec     spec
	timeline []setting // in time order; the first has a zero time
}

func (b *behavior) current() setting { return b.timeline[len(b.timeline)-1] }

func (b *behavior) at(t time.Time) setting {
	i := sort.Search(len(b.timeline), func(i int) bool { return b.timeline[i].at.After(t) })
	return b.timeline[max(i-1, 0)]
}

// forSignal finds the behavior a World signal triggers. s.mu is held.
func (s *Server) forSignal(sig simkit.Signal) *behavior {
	for _, b := range s.behaviors {
		if b.spec.signal == sig && sig != simkit.SignalNone {
			return b
		}
	}
	return nil
}

func validLevel(l string) bool { return l == "low" || l == "medium" || l == "high" }

type behaviorJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
	RiskLevel   string `json:"risk_level"`
}

type behaviorSettingJSON struct {
	Enabled   bool   `json:"enabled"`
	RiskLevel string `json:"risk_level"`
}

func (s *Server) handleBehaviors(w http.ResponseWriter) {
	s.mu.Lock()
	out := map[string]behaviorJSON{}
	for key, b := range s.behaviors {
		cur := b.current()
		out[key] = behaviorJSON{
			Name:        s.Faults().Text(b.spec.name),
			Description: s.Faults().Text(b.spec.description),
			Enabled:     cur.enabled,
			RiskLevel:   cur.level,
		}
	}
	s.mu.Unlock()
	s.ok(w, map[string]any{"behaviors": out}, nil)
}

// handlePutBehaviors requires every existing key, as a Terraform test
// comment says the real API does (vendors.md §3.3), and valid levels.
func (s *Server) handlePutBehaviors(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Behaviors map[string]behaviorPut `json:"behaviors"`
	}
	if !s.readJSON(w, r, &body) {
		return
	}
	if body.Behaviors == nil {
		s.fail(w, http.StatusBadRequest, codeValidation, "behaviors is required")
		return
	}
	out, problem := s.applyBehaviors(body.Behaviors)
	if problem != "" {
		s.fail(w, http.StatusBadRequest, codeValidation, "%s", problem)
		return
	}
	s.ok(w, map[string]any{"behaviors": out}, nil)
}

type behaviorPut struct {
	Enabled   *bool   `json:"enabled"`
	RiskLevel *string `json:"risk_level"`
}

// applyBehaviors checks a PUT's map and applies it from now on; problem
// says what is wrong with it instead.
func (s *Server) applyBehaviors(in map[string]behaviorPut) (out map[string]behaviorSettingJSON, problem string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing, unknown, bad []string
	for key := range s.behaviors {
		if _, ok := in[key]; !ok {
			missing = append(missing, key)
		}
	}
	for key, v := range in {
		switch {
		case s.behaviors[key] == nil:
			unknown = append(unknown, key)
		case v.Enabled == nil || v.RiskLevel == nil || !validLevel(*v.RiskLevel):
			bad = append(bad, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(unknown)
	sort.Strings(bad)
	switch {
	case len(missing) > 0:
		return nil, "all behaviors must be provided; missing: " + strings.Join(missing, ", ")
	case len(unknown) > 0:
		return nil, "unknown behaviors: " + strings.Join(unknown, ", ")
	case len(bad) > 0:
		return nil, "enabled and risk_level (low, medium or high) are required for: " + strings.Join(bad, ", ")
	}
	// Detections up to now were judged by the old configuration.
	s.sync()
	now := s.Clock().Now()
	out = map[string]behaviorSettingJSON{}
	for key, v := range in {
		b := s.behaviors[key]
		next := setting{at: now, enabled: *v.Enabled, level: *v.RiskLevel}
		if cur := b.current(); cur.enabled != next.enabled || cur.level != next.level {
			if cur.at.Equal(now) {
				b.timeline[len(b.timeline)-1] = next
			} else {
				b.timeline = append(b.timeline, next)
			}
		}
		out[key] = behaviorSettingJSON{Enabled: next.enabled, RiskLevel: next.level}
	}
	return out, ""
}
