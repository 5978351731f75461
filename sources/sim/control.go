package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// FaultsDoc is simkit.Faults as the control API reads and writes it, with
// durations as Go duration strings ("1.5s") so curl users can type them.
type FaultsDoc struct {
	Latency    string  `json:"latency,omitempty"`
	ErrorRate  float64 `json:"error_rate,omitempty"`
	FailNext   int     `json:"fail_next,omitempty"`
	Throttle   int     `json:"throttle,omitempty"`
	RetryAfter string  `json:"retry_after,omitempty"`
	Malformed  bool    `json:"malformed,omitempty"`
	Truncate   bool    `json:"truncate,omitempty"`
	Oversize   int64   `json:"oversize,omitempty"`
	Drip       string  `json:"drip,omitempty"`
	Refuse     bool    `json:"refuse,omitempty"`
	Hostile    bool    `json:"hostile,omitempty"`
}

// Faults converts the document, naming the first bad field.
func (d FaultsDoc) Faults() (simkit.Faults, error) {
	f := simkit.Faults{ErrorRate: d.ErrorRate, FailNext: d.FailNext, Throttle: d.Throttle,
		Malformed: d.Malformed, Truncate: d.Truncate, Oversize: d.Oversize, Refuse: d.Refuse, Hostile: d.Hostile}
	for _, p := range []struct {
		name string
		in   string
		out  *time.Duration
	}{{"latency", d.Latency, &f.Latency}, {"retry_after", d.RetryAfter, &f.RetryAfter}, {"drip", d.Drip, &f.Drip}} {
		if p.in == "" {
			continue
		}
		v, err := time.ParseDuration(p.in)
		if err != nil || v < 0 {
			return f, fmt.Errorf("%s: %q is not a duration like 500ms or 2s", p.name, p.in)
		}
		*p.out = v
	}
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return f, fmt.Errorf("error_rate: %v is not between 0 and 1", f.ErrorRate)
	}
	return f, nil
}

func docOf(f simkit.Faults) FaultsDoc {
	d := FaultsDoc{ErrorRate: f.ErrorRate, FailNext: f.FailNext, Throttle: f.Throttle, Malformed: f.Malformed,
		Truncate: f.Truncate, Oversize: f.Oversize, Refuse: f.Refuse, Hostile: f.Hostile}
	if f.Latency > 0 {
		d.Latency = f.Latency.String()
	}
	if f.RetryAfter > 0 {
		d.RetryAfter = f.RetryAfter.String()
	}
	if f.Drip > 0 {
		d.Drip = f.Drip.String()
	}
	return d
}

// State is what GET /sim/ reports.
type State struct {
	Vendors map[string]VendorState `json:"vendors"`
	People  int                    `json:"people"`
	Events  int64                  `json:"events"`
	Attack  *AttackState           `json:"attack,omitempty"`
}

// VendorState is one vendor's request count and faults.
type VendorState struct {
	Requests int64     `json:"requests"`
	Faults   FaultsDoc `json:"faults"`
}

// AttackState describes a credential-stuffing burst under way.
type AttackState struct {
	Cycle   int       `json:"cycle"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Targets int       `json:"targets"`
}

// control mounts the control API:
//
//	GET    /sim/                  state of every vendor and the scenario
//	PUT    /sim/faults/{vendor}   set a vendor's faults (FaultsDoc JSON)
//	DELETE /sim/faults/{vendor}   heal a vendor
//	POST   /sim/revoke/{vendor}   revoke every token the vendor issued
//	GET    /sim/okta/pushed       IP risk received by the Okta simulator
//	GET    /sim/okta/sets         SETs the Okta simulator's SSF receiver accepted
func (s *Sim) control(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathControl+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("PUT "+PathControl+"/faults/{vendor}", func(w http.ResponseWriter, r *http.Request) {
		fs, err := s.Faults(r.PathValue("vendor"))
		if err != nil {
			controlError(w, http.StatusNotFound, err)
			return
		}
		var doc FaultsDoc
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			controlError(w, http.StatusBadRequest, fmt.Errorf("faults: %w", err))
			return
		}
		f, err := doc.Faults()
		if err != nil {
			controlError(w, http.StatusBadRequest, err)
			return
		}
		fs.Set(f)
		simkit.WriteJSON(w, http.StatusOK, docOf(f))
	})
	mux.HandleFunc("DELETE "+PathControl+"/faults/{vendor}", func(w http.ResponseWriter, r *http.Request) {
		fs, err := s.Faults(r.PathValue("vendor"))
		if err != nil {
			controlError(w, http.StatusNotFound, err)
			return
		}
		fs.Set(simkit.Faults{})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+PathControl+"/revoke/{vendor}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.RevokeTokens(r.PathValue("vendor")); err != nil {
			controlError(w, http.StatusNotFound, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+PathControl+"/okta/pushed", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, s.Okta.Pushed())
	})
	mux.HandleFunc("GET "+PathControl+"/okta/sets", func(w http.ResponseWriter, r *http.Request) {
		simkit.WriteJSON(w, http.StatusOK, s.Okta.SETs())
	})
}

// State reports every vendor's requests and faults, and the scenario.
func (s *Sim) State() State {
	st := State{Vendors: map[string]VendorState{}, People: len(s.World.People()), Events: s.World.LastSeq()}
	for _, v := range Vendors {
		fs, _ := s.Faults(v)
		st.Vendors[v] = VendorState{Requests: fs.Requests(), Faults: docOf(fs.Get())}
	}
	if atk := s.World.AttackAt(s.World.Now()); atk.Active {
		st.Attack = &AttackState{Cycle: atk.Cycle, Start: atk.Start, End: atk.End, Targets: len(atk.Targets)}
	}
	return st
}

func controlError(w http.ResponseWriter, status int, err error) {
	simkit.WriteJSON(w, status, map[string]string{"error": err.Error()})
}
