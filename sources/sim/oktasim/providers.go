package oktasim

import (
	"net/http"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

type providerJSON struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	ClientID    string         `json:"clientId"`
	Action      string         `json:"action"`
	Created     string         `json:"created"`
	LastUpdated string         `json:"lastUpdated"`
	Links       map[string]any `json:"_links"`
}

// Provider time forms (Options.ProviderTimes).
const (
	// ProviderTimesRFC3339 is the schema's date-time, as the SDK models it
	// (okta-sdk-golang okta/model_risk_provider.go: Created *time.Time).
	ProviderTimesRFC3339 = "rfc3339"
	// ProviderTimesExample is the reference's examples' "2021-01-05 22:18:30"
	// (no T, no zone; okta-sdk-golang v5.0.2 okta/api/openapi.yaml).
	ProviderTimesExample = "example"

	exampleTimeLayout = "2006-01-02 15:04:05"
)

// SetProviderTimes switches the form of created and lastUpdated while the
// simulator runs (ProviderTimesRFC3339 or ProviderTimesExample).
func (s *Server) SetProviderTimes(form string) {
	s.mu.Lock()
	s.opts.ProviderTimes = form
	s.mu.Unlock()
}

func (s *Server) providerTime(t time.Time) string {
	s.mu.Lock()
	form := s.opts.ProviderTimes
	s.mu.Unlock()
	if form == ProviderTimesExample {
		return t.UTC().Format(exampleTimeLayout)
	}
	return t.UTC().Format(timeLayout)
}

func (s *Server) providerJSON(base string, p provider) providerJSON {
	return providerJSON{
		ID:          p.id,
		Name:        s.Faults().Text(p.name),
		ClientID:    p.clientID,
		Action:      p.action,
		Created:     s.providerTime(p.created),
		LastUpdated: s.providerTime(p.updated),
		Links: map[string]any{"self": map[string]any{
			"href":  base + "/api/v1/risk/providers/" + p.id,
			"hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}},
		}},
	}
}

// listProviders is GET /api/v1/risk/providers: the org's default provider
// ("Default ", clientId the string "null", log_only) and, when a service app
// is registered, the one named for it.
func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	// Creating and updating providers is not simulated: GET only.
	if _, ok := s.admit(w, r, s.providers, http.MethodGet, ScopeProvidersRead, ScopeProvidersManage); !ok {
		return
	}
	base := s.externalBase(r)
	out := make([]providerJSON, 0, len(s.listed))
	for _, p := range s.listed {
		out = append(out, s.providerJSON(base, p))
	}
	simkit.WriteJSON(w, http.StatusOK, out)
}

// getProvider is GET /api/v1/risk/providers/{id}, which each provider's
// self link allows (hints.allow GET, PUT, DELETE; the reference's
// getRiskProvider, okta-sdk-golang v5.0.2 okta/api/openapi.yaml). PUT and
// DELETE are not simulated.
func (s *Server) getProvider(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.admit(w, r, s.providers, http.MethodGet, ScopeProvidersRead, ScopeProvidersManage); !ok {
		return
	}
	id := r.PathValue("id")
	for _, p := range s.listed {
		if p.id == id {
			simkit.WriteJSON(w, http.StatusOK, s.providerJSON(s.externalBase(r), p))
			return
		}
	}
	s.writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" (RiskProvider)")
}
