package oktasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/sources/sim/simkit"
)

const (
	timeLayout     = "2006-01-02T15:04:05.000Z"
	maxEvents      = 20
	maxSubjects    = 50
	maxMessage     = 512
	maxEventsBytes = 1 << 20
)

// The sim decodes into pointers so a missing field and a wrong type are
// told apart from an empty one.
type wireEvent struct {
	Timestamp *string        `json:"timestamp"`
	ExpiresAt *string        `json:"expiresAt"`
	Subjects  *[]wireSubject `json:"subjects"`
}

type wireSubject struct {
	IP        *string `json:"ip"`
	RiskLevel *string `json:"riskLevel"`
	Message   *string `json:"message"`
}

// pushEvents is POST /api/v1/risk/events/ip.
func (s *Server) pushEvents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.eventRequests++
	s.mu.Unlock()
	who, ok := s.admit(w, r, s.events, http.MethodPost, ScopeRiskEvents)
	if !ok {
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.writeError(w, http.StatusUnsupportedMediaType, "E0000003", "The request body was not well-formed.",
			"Content-Type must be application/json")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventsBytes))
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return
	}
	var events []wireEvent
	if err := json.Unmarshal(raw, &events); err != nil {
		s.writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
		return
	}
	now := s.Clock().Now()
	if field, causes := s.validate(events, now); len(causes) > 0 {
		s.writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: "+field, causes...)
		return
	}
	var got []Pushed
	for _, e := range events {
		ts, _ := parseTime(e.Timestamp)
		exp, _ := parseTime(e.ExpiresAt)
		for _, sub := range *e.Subjects {
			p := Pushed{
				IP: *sub.IP, Level: *sub.RiskLevel, Timestamp: ts, ExpiresAt: exp, Received: now,
				Auth: who.auth, ClientID: who.clientID,
			}
			if sub.Message != nil {
				p.Message = *sub.Message
			}
			if a, err := netip.ParseAddr(p.IP); err == nil {
				p.InAttackNet = simkit.AttackNet.Contains(a.Unmap())
			}
			got = append(got, p)
		}
	}
	s.mu.Lock()
	s.pushed = append(s.pushed, got...)
	s.accepted++
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// validate applies the documented rules and returns every broken one as an
// errorCauses entry, plus the field the summary names (Okta's summaries say
// "Api validation failed: <field>").
func (s *Server) validate(events []wireEvent, now time.Time) (field string, causes []string) {
	add := func(f, msg string) {
		if field == "" {
			field = f
		}
		causes = append(causes, msg)
	}
	if len(events) < 1 || len(events) > maxEvents {
		add("riskEvents", fmt.Sprintf("riskEvents: must contain between 1 and %d events, not %d", maxEvents, len(events)))
	}
	for i, e := range events {
		p := fmt.Sprintf("riskEvents[%d]", i)
		ts, tsOK := parseTime(e.Timestamp)
		if !tsOK {
			add("timestamp", p+".timestamp: must be an ISO 8601 time like yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
		}
		exp, expOK := parseTime(e.ExpiresAt)
		switch {
		case !expOK:
			add("expiresAt", p+".expiresAt: must be an ISO 8601 time like yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
		case exp.IsZero():
		case !ts.IsZero() && !exp.After(ts):
			add("expiresAt", p+".expiresAt: must be after timestamp")
		case !exp.After(now):
			add("expiresAt", p+".expiresAt: must be in the future")
		}
		if e.Subjects == nil || len(*e.Subjects) < 1 || len(*e.Subjects) > maxSubjects {
			n := 0
			if e.Subjects != nil {
				n = len(*e.Subjects)
			}
			add("subjects", fmt.Sprintf("%s.subjects: must contain between 1 and %d subjects, not %d", p, maxSubjects, n))
			if e.Subjects == nil {
				continue
			}
		}
		for j, sub := range *e.Subjects {
			sp := fmt.Sprintf("%s.subjects[%d]", p, j)
			if sub.IP == nil {
				add("ip", sp+".ip: is required")
			} else if a, err := netip.ParseAddr(*sub.IP); err != nil || a.Zone() != "" {
				add("ip", sp+".ip: must be a valid IPv4 or IPv6 address")
			}
			if sub.RiskLevel == nil {
				add("riskLevel", sp+".riskLevel: is required")
			} else if l := *sub.RiskLevel; l != "LOW" && l != "MEDIUM" && l != "HIGH" {
				add("riskLevel", sp+".riskLevel: must be one of LOW, MEDIUM, HIGH")
			}
			if sub.Message != nil {
				m := *sub.Message
				if utf8.RuneCountInString(m) > maxMessage {
					add("message", fmt.Sprintf("%s.message: must be at most %d characters", sp, maxMessage))
				}
				if !s.messageOK(m) {
					allowed := "letters, digits, '.', '_', '-' and space"
					if s.opts.StrictMessage {
						allowed = "letters, digits, '.', '_' and '-'"
					}
					add("message", sp+".message: may contain only "+allowed)
				}
			}
		}
	}
	return field, causes
}

func (s *Server) messageOK(m string) bool {
	for _, r := range m {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		case r == ' ' && !s.opts.StrictMessage:
		default:
			return false
		}
	}
	return true
}

// parseTime reads an optional time. Okta documents
// yyyy-MM-dd'T'HH:mm:ss.SSS'Z', but its own Go SDK sends time.Time as Go
// marshals it, RFC 3339 with up to nine fractional digits or none
// (okta-sdk-golang v5.0.2 okta/model_risk_event.go: Timestamp, ExpiresAt
// *time.Time), so any RFC 3339 time is taken, as the SDK's answers show
// Okta does. A missing value is the zero time and ok.
func parseTime(v *string) (time.Time, bool) {
	if v == nil {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
