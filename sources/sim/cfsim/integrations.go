package cfsim

import (
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// integration is one risk score integration, kept in memory.
type integration struct {
	id          string
	active      bool
	created     time.Time
	typ         string
	referenceID string
	tenantURL   string
}

type integrationJSON struct {
	ID              string `json:"id"`
	AccountTag      string `json:"account_tag"`
	Active          bool   `json:"active"`
	CreatedAt       string `json:"created_at"`
	IntegrationType string `json:"integration_type"`
	ReferenceID     string `json:"reference_id"`
	TenantURL       string `json:"tenant_url"`
	WellKnownURL    string `json:"well_known_url"`
}

// view renders an integration. Ids stay clean (a client sends them back);
// the tenant URL is caller-supplied text and goes through the hostile knob.
func (s *Server) view(in *integration) integrationJSON {
	return integrationJSON{
		ID:              in.id,
		AccountTag:      s.opts.AccountID,
		Active:          in.active,
		CreatedAt:       in.created.UTC().Format(time.RFC3339),
		IntegrationType: in.typ,
		ReferenceID:     in.referenceID,
		TenantURL:       s.Faults().Text(in.tenantURL),
		WellKnownURL:    "/.well-known/sse-configuration/" + in.id + "/",
	}
}

// find returns the integration with id, or with reference id. s.mu is held.
func (s *Server) find(id, ref string) (int, *integration) {
	for i, in := range s.integrations {
		if (id != "" && in.id == id) || (ref != "" && in.referenceID == ref) {
			return i, in
		}
	}
	return -1, nil
}

func (s *Server) handleListIntegrations(w http.ResponseWriter) {
	s.mu.Lock()
	out := make([]integrationJSON, 0, len(s.integrations))
	for _, in := range s.integrations {
		out = append(out, s.view(in))
	}
	s.mu.Unlock()
	s.ok(w, out, nil) // a single page: no result_info
}

// handleGetIntegration finds the integration by id or by reference id.
func (s *Server) handleGetIntegration(w http.ResponseWriter, id, ref string) {
	s.mu.Lock()
	_, in := s.find(id, ref)
	var out integrationJSON
	if in != nil {
		out = s.view(in)
	}
	s.mu.Unlock()
	if in == nil {
		s.fail(w, http.StatusNotFound, codeNotFound, "Integration not found")
		return
	}
	s.ok(w, out, nil)
}

func validTenantURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (s *Server) handleCreateIntegration(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IntegrationType string `json:"integration_type"`
		TenantURL       string `json:"tenant_url"`
		ReferenceID     string `json:"reference_id"`
	}
	if !s.readJSON(w, r, &body) {
		return
	}
	if body.IntegrationType != "Okta" {
		s.fail(w, http.StatusBadRequest, codeValidation, "integration_type must be \"Okta\"")
		return
	}
	if !validTenantURL(body.TenantURL) {
		s.fail(w, http.StatusBadRequest, codeValidation, "tenant_url must be an absolute URL")
		return
	}
	s.mu.Lock()
	if body.ReferenceID != "" {
		// Invented: lookup by reference id only makes sense if it is unique.
		if _, dup := s.find("", body.ReferenceID); dup != nil {
			s.mu.Unlock()
			s.fail(w, http.StatusConflict, codeConflict, "an integration with this reference_id already exists")
			return
		}
	}
	in := &integration{
		id:          s.uuid(),
		active:      true,
		created:     s.Clock().Now(),
		typ:         body.IntegrationType,
		referenceID: body.ReferenceID,
		tenantURL:   body.TenantURL,
	}
	s.integrations = append(s.integrations, in)
	out := s.view(in)
	s.mu.Unlock()
	s.ok(w, out, nil)
}

func (s *Server) handleUpdateIntegration(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Active      *bool   `json:"active"`
		TenantURL   string  `json:"tenant_url"`
		ReferenceID *string `json:"reference_id"`
	}
	if !s.readJSON(w, r, &body) {
		return
	}
	if body.Active == nil || !validTenantURL(body.TenantURL) {
		s.fail(w, http.StatusBadRequest, codeValidation, "active and an absolute tenant_url are required")
		return
	}
	s.mu.Lock()
	_, in := s.find(id, "")
	if in == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, codeNotFound, "Integration not found")
		return
	}
	if body.ReferenceID != nil && *body.ReferenceID != in.referenceID && *body.ReferenceID != "" {
		if _, dup := s.find("", *body.ReferenceID); dup != nil {
			s.mu.Unlock()
			s.fail(w, http.StatusConflict, codeConflict, "an integration with this reference_id already exists")
			return
		}
	}
	in.active, in.tenantURL = *body.Active, body.TenantURL
	if body.ReferenceID != nil {
		in.referenceID = *body.ReferenceID
	}
	out := s.view(in)
	s.mu.Unlock()
	s.ok(w, out, nil)
}

func (s *Server) handleDeleteIntegration(w http.ResponseWriter, id string) {
	s.mu.Lock()
	i, in := s.find(id, "")
	if in != nil {
		s.integrations = append(s.integrations[:i], s.integrations[i+1:]...)
	}
	s.mu.Unlock()
	if in == nil {
		s.fail(w, http.StatusNotFound, codeNotFound, "Integration not found")
		return
	}
	s.ok(w, nil, nil)
}

// uuid is a UUIDv4 from the simulator's seeded stream. s.mu is held.
func (s *Server) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
