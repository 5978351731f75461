package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Preset is a named fault a presenter can switch on from the demo
// (`:fault okta down`, through SetFault), without knowing the knobs
// behind it.
type Preset struct {
	Name   string
	What   string // what the vendor does, for the notice
	Faults simkit.Faults
}

// ClearPreset heals a vendor.
const ClearPreset = "clear"

// Presets are the faults the demo offers, one of each kind an operator
// meets: a vendor that is down, too slow, failing, throttling or garbled.
var Presets = []Preset{
	{"down", "drops every connection", simkit.Faults{Refuse: true}},
	{"slow", "answers after 45s, past the client's 30s timeout", simkit.Faults{Latency: 45 * time.Second}},
	{"503", "answers every request 503 Service Unavailable", simkit.Faults{ErrorRate: 1}},
	{"429", "throttles every request (429, Retry-After: 60)", simkit.Faults{Throttle: 1 << 30, RetryAfter: time.Minute}},
	{"garbled", "sends malformed JSON", simkit.Faults{Malformed: true}},
}

// FaultNames are the names SetFault takes, "clear" last.
func (s *Sim) FaultNames() []string {
	names := make([]string, 0, len(Presets)+1)
	for _, p := range Presets {
		names = append(names, p.Name)
	}
	return append(names, ClearPreset)
}

// SetFault switches a vendor to a preset fault, or heals it with "clear";
// hostile text, when on, stays on either way. It returns what the vendor
// now does.
func (s *Sim) SetFault(vendor, name string) (string, error) {
	fs, err := s.Faults(vendor)
	if err != nil {
		return "", err
	}
	hostile := fs.Get().Hostile
	if name == ClearPreset {
		fs.Set(simkit.Faults{Hostile: hostile})
		return "answers normally again", nil
	}
	for _, p := range Presets {
		if p.Name == name {
			f := p.Faults
			f.Hostile = hostile
			fs.Set(f)
			return p.What, nil
		}
	}
	return "", fmt.Errorf("unknown fault %q; one of %s", name, strings.Join(s.FaultNames(), ", "))
}
