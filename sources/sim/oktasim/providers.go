package oktasim

import (
	"net/http"

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
		out = append(out, providerJSON{
			ID:          p.id,
			Name:        s.Faults().Text(p.name),
			ClientID:    p.clientID,
			Action:      p.action,
			Created:     p.created.UTC().Format(timeLayout),
			LastUpdated: p.updated.UTC().Format(timeLayout),
			Links: map[string]any{"self": map[string]any{
				"href":  base + "/api/v1/risk/providers/" + p.id,
				"hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}},
			}},
		})
	}
	simkit.WriteJSON(w, http.StatusOK, out)
}
