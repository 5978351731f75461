package oktasim

// The Shared Signals Framework receiver: Security Events Providers
// (GET/POST /api/v1/security-events-providers) and the SET endpoint
// (POST /security/api/v1/security-events), after Okta's reference
// ("SSF Receiver" and "SSF Security Event Tokens",
// https://developer.okta.com/docs/api/openapi/okta-management/management/tag/SSFReceiver/ and
// .../tag/SSFSecurityEventToken/) and okta-sdk-golang's
// okta/api/openapi.yaml (SecurityEventsProviderRequest/Response,
// SecurityEventTokenRequestJwtHeader/Body/Events, SecurityEventTokenError).
// Errors are RFC 8935 §2.4's {"err", "description"} with status 400, the
// only error status the reference lists for the SET endpoint.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// SSF scopes (okta/api/openapi.yaml, the SSFReceiver operations).
const (
	ScopeSSFProvidersRead   = "okta.securityEventsProviders.read"
	ScopeSSFProvidersManage = "okta.securityEventsProviders.manage"
)

// Event types the receiver takes (SecurityEventTokenRequestJwtEvents).
const (
	EventIPChange       = "https://schemas.okta.com/secevent/okta/event-type/ip-change"
	EventUserRiskChange = "https://schemas.okta.com/secevent/okta/event-type/user-risk-change"
	eventDeviceRisk     = "https://schemas.okta.com/secevent/okta/event-type/device-risk-change"
	eventCompliance     = "https://schemas.openid.net/secevent/caep/event-type/device-compliance-change"
	eventSessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
	eventIDChanged      = "https://schemas.openid.net/secevent/risc/event-type/identifier-changed"
)

const (
	// DefaultSETMaxAge is how old a SET's iat may be. Okta documents no
	// value; five minutes, with a minute's skew into the future, is the
	// simulator's (unconfirmed).
	DefaultSETMaxAge = 5 * time.Minute
	setFutureSkew    = time.Minute
	maxSETBytes      = 64 << 10
	jwksFetchTimeout = 5 * time.Second
)

// DefaultSSFIssuer is the issuer of the Security Events Provider the
// demo registers for the simulator's key (kid DefaultKeyID).
const DefaultSSFIssuer = "https://risktop.sim/ssf"

// RSAJWKS is a JSON key set holding pub as kid, for an inline
// SSFProvider.JWKS.
func RSAJWKS(pub *rsa.PublicKey, kid string) []byte {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

// SSFProvider registers a Security Events Provider at start: an issuer
// and either a JWKS URL (fetched when a SET arrives) or, for tests, the
// JWKS itself.
type SSFProvider struct {
	Name     string
	Issuer   string
	JWKSURL  string
	JWKS     []byte // a JSON key set; when set, JWKSURL is not fetched
	Inactive bool
}

// AcceptedSET is one SET the receiver took.
type AcceptedSET struct {
	Issuer    string         `json:"iss"`
	Audience  string         `json:"aud"`
	JTI       string         `json:"jti"`
	IssuedAt  time.Time      `json:"iat"`
	Alg       string         `json:"alg"`
	Kid       string         `json:"kid"`
	EventType string         `json:"eventType"`
	Event     map[string]any `json:"event"`
	Received  time.Time      `json:"received"`
}

type ssfProvider struct {
	id string
	SSFProvider
}

// SETs returns every accepted SET, oldest first.
func (s *Server) SETs() []AcceptedSET {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AcceptedSET(nil), s.sets...)
}

// RegisterSSFProvider adds a Security Events Provider and returns its id.
func (s *Server) RegisterSSFProvider(p SSFProvider) string {
	id := s.newID("sse")
	s.mu.Lock()
	s.ssfProviders = append(s.ssfProviders, ssfProvider{id: id, SSFProvider: p})
	s.mu.Unlock()
	return id
}

// SetSSFProvidersInactive deactivates (or activates) every Security
// Events Provider, as POST .../lifecycle/deactivate would.
func (s *Server) SetSSFProvidersInactive(inactive bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.ssfProviders {
		s.ssfProviders[i].Inactive = inactive
	}
}

type ssfProviderJSON struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Status   string            `json:"status"`
	Settings map[string]string `json:"settings"`
	Links    map[string]any    `json:"_links"`
}

func (s *Server) ssfProviderJSON(base string, p ssfProvider) ssfProviderJSON {
	status := "ACTIVE"
	if p.Inactive {
		status = "INACTIVE"
	}
	settings := map[string]string{"issuer": p.Issuer}
	if p.JWKSURL != "" {
		settings["jwks_url"] = p.JWKSURL
	}
	self := base + "/api/v1/security-events-providers/" + p.id
	return ssfProviderJSON{ID: p.id, Name: s.Faults().Text(p.Name), Type: "okta", Status: status, Settings: settings,
		Links: map[string]any{
			"self":       map[string]any{"href": self, "hints": map[string]any{"allow": []string{"GET", "PUT", "DELETE"}}},
			"deactivate": map[string]any{"href": self + "/lifecycle/deactivate", "hints": map[string]any{"allow": []string{"POST"}}},
		}}
}

// securityEventsProviders is GET (list) and POST (create) on
// /api/v1/security-events-providers. A create takes {name, type,
// settings: {issuer, jwks_url}}; the well_known_url form is refused here
// (the simulator fetches no SSF configuration).
func (s *Server) securityEventsProviders(w http.ResponseWriter, r *http.Request) {
	if s.opts.SSFDisabled {
		if _, ok := s.admitAny(w, r, s.providers, ScopeSSFProvidersRead, ScopeSSFProvidersManage); !ok {
			return
		}
		s.writeError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
		return
	}
	switch r.Method {
	case http.MethodGet:
		if _, ok := s.admit(w, r, s.providers, http.MethodGet, ScopeSSFProvidersRead, ScopeSSFProvidersManage); !ok {
			return
		}
		s.mu.Lock()
		ps := append([]ssfProvider(nil), s.ssfProviders...)
		s.mu.Unlock()
		out := make([]ssfProviderJSON, 0, len(ps))
		for _, p := range ps {
			out = append(out, s.ssfProviderJSON(s.externalBase(r), p))
		}
		simkit.WriteJSON(w, http.StatusOK, out)
	case http.MethodPost:
		if _, ok := s.admit(w, r, s.providers, http.MethodPost, ScopeSSFProvidersManage); !ok {
			return
		}
		var req struct {
			Name     string            `json:"name"`
			Type     string            `json:"type"`
			Settings map[string]string `json:"settings"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
			s.writeError(w, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
			return
		}
		var causes []string
		if strings.TrimSpace(req.Name) == "" || len(req.Name) > 100 {
			causes = append(causes, "name: must be 1 to 100 characters")
		}
		if strings.TrimSpace(req.Type) == "" {
			causes = append(causes, "type: is required")
		}
		if req.Settings["issuer"] == "" || req.Settings["jwks_url"] == "" {
			causes = append(causes, "settings: issuer and jwks_url are required (well_known_url is not simulated)")
		}
		if len(causes) > 0 {
			s.writeError(w, http.StatusBadRequest, "E0000001", "Api validation failed: securityEventsProvider", causes...)
			return
		}
		id := s.RegisterSSFProvider(SSFProvider{Name: req.Name, Issuer: req.Settings["issuer"], JWKSURL: req.Settings["jwks_url"]})
		s.mu.Lock()
		p := s.ssfProviders[len(s.ssfProviders)-1]
		s.mu.Unlock()
		if p.id != id {
			panic("oktasim: providers raced")
		}
		simkit.WriteJSON(w, http.StatusOK, s.ssfProviderJSON(s.externalBase(r), p))
	default:
		s.admit(w, r, s.providers, http.MethodGet) // answers 405 with its headers
	}
}

// admitAny runs admit without a method check.
func (s *Server) admitAny(w http.ResponseWriter, r *http.Request, limit *simkit.Window, scopes ...string) (caller, bool) {
	return s.admit(w, r, limit, r.Method, scopes...)
}

// setError writes RFC 8935's error answer.
func (s *Server) setError(w http.ResponseWriter, code, desc string) {
	simkit.WriteJSON(w, http.StatusBadRequest, map[string]string{"err": code, "description": s.Faults().Text(desc)})
}

// securityEvents is POST /security/api/v1/security-events: one SET, signed,
// Content-Type application/secevent+jwt, no Authorization (the reference
// lists no security for it: the signature is the credential). 202 on
// acceptance.
func (s *Server) securityEvents(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.setRequests++
	s.mu.Unlock()
	remaining, reset, ok := s.setWindow.Take()
	setRateHeaders(w, s.setWindow.Limit, remaining, reset)
	if !ok {
		s.writeError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
		return
	}
	if s.opts.SSFDisabled {
		s.setError(w, "access_denied", "Security event providers are not enabled for this org.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/secevent+jwt") {
		s.setError(w, "invalid_request", "The Content-Type must be application/secevent+jwt.")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSETBytes))
	if err != nil {
		s.setError(w, "invalid_request", "The request body could not be read.")
		return
	}
	set, code, desc := s.verifySET(r, strings.TrimSpace(string(raw)))
	if code != "" {
		s.setError(w, code, desc)
		return
	}
	s.mu.Lock()
	s.sets = append(s.sets, set)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

type setHeaderJSON struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// verifySET checks a SET in this order: a compact JWS with a header;
// signed (alg none is refused as unauthenticated); its issuer a provider
// of the org, and active; its signature by the key its kid names in that
// provider's JWKS; addressed to this org; issued recently; a jti not seen
// before; one event of a known type that matches its definition.
func (s *Server) verifySET(r *http.Request, token string) (AcceptedSET, string, string) {
	var out AcceptedSET
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return out, "invalid_request", "The request body is not a security event token (a compact JWS)."
	}
	var h setHeaderJSON
	if err := decodeSegment(parts[0], &h); err != nil {
		return out, "invalid_request", "The security event token's header could not be parsed."
	}
	if h.Alg == "" || strings.EqualFold(h.Alg, "none") || parts[2] == "" {
		return out, "authentication_failed", "The security event token is not signed."
	}
	if h.Alg != "RS256" && h.Alg != "ES256" {
		return out, "invalid_key", fmt.Sprintf("The signing algorithm %q is not supported.", h.Alg)
	}
	if h.Typ != "secevent+jwt" {
		return out, "invalid_request", "The security event token's typ header must be secevent+jwt."
	}
	var claims struct {
		Iss    string                     `json:"iss"`
		Aud    json.RawMessage            `json:"aud"`
		Iat    json.Number                `json:"iat"`
		Jti    string                     `json:"jti"`
		Events map[string]json.RawMessage `json:"events"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return out, "invalid_request", "The security event token's claims could not be parsed."
	}
	s.mu.Lock()
	var prov *ssfProvider
	for i := range s.ssfProviders {
		if s.ssfProviders[i].Issuer == claims.Iss {
			p := s.ssfProviders[i]
			prov = &p
			break
		}
	}
	s.mu.Unlock()
	switch {
	case claims.Iss == "" || prov == nil:
		return out, "invalid_issuer", "The issuer of the security event token is not a registered security events provider."
	case prov.Inactive:
		return out, "access_denied", "The security events provider is not active."
	}
	key, desc := s.providerKey(r.Context(), *prov, h)
	if key == nil {
		return out, "invalid_key", desc
	}
	method := jwt.GetSigningMethod(h.Alg)
	if err := method.Verify(parts[0]+"."+parts[1], mustDecode(parts[2]), key); err != nil {
		return out, "invalid_key", "The security event token's signature does not verify with the provider's key " + h.Kid + "."
	}
	if !s.audienceOK(r, claims.Aud) {
		return out, "invalid_audience", "The audience of the security event token is not this org."
	}
	iat, err := claims.Iat.Int64()
	now := s.Clock().Now()
	maxAge := s.opts.SETMaxAge
	switch {
	case err != nil:
		return out, "invalid_request", "Failed claim validation in security event token. 'iat': The field must be a UNIX timestamp"
	case now.Sub(time.Unix(iat, 0)) > maxAge:
		return out, "invalid_request", fmt.Sprintf("Failed claim validation in security event token. 'iat': The token was issued more than %s ago", maxAge)
	case time.Unix(iat, 0).Sub(now) > setFutureSkew:
		return out, "invalid_request", "Failed claim validation in security event token. 'iat': The token was issued in the future"
	case claims.Jti == "":
		return out, "invalid_request", "Failed claim validation in security event token. 'jti': The field cannot be left blank"
	}
	if len(claims.Events) != 1 {
		return out, "invalid_request", fmt.Sprintf("Failed claim validation in security event token. 'events': Expected exactly 1 event, not %d", len(claims.Events))
	}
	var eventType string
	var event map[string]any
	for k, v := range claims.Events {
		eventType = k
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if dec.Decode(&event) != nil || event == nil {
			return out, "invalid_request", "Failed claim validation in security event token. 'events': The event must be an object"
		}
	}
	if desc := checkEvent(eventType, event); desc != "" {
		return out, "invalid_request", "Failed claim validation in security event token. " + desc
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key2 := claims.Iss + "\x00" + claims.Jti
	if _, seen := s.setJTIs[key2]; seen {
		return out, "invalid_request", "The security event token " + claims.Jti + " was already received (replayed jti)."
	}
	s.setJTIs[key2] = now
	aud := ""
	_ = json.Unmarshal(claims.Aud, &aud)
	return AcceptedSET{Issuer: claims.Iss, Audience: aud, JTI: claims.Jti, IssuedAt: time.Unix(iat, 0).UTC(), Alg: h.Alg, Kid: h.Kid,
		EventType: eventType, Event: event, Received: now}, "", ""
}

// audienceOK takes the org URL, with or without a trailing slash (the
// reference's example aud is "https://receiverexample.okta.com/"), alone
// or in an array.
func (s *Server) audienceOK(r *http.Request, raw json.RawMessage) bool {
	want := strings.TrimSuffix(s.externalBase(r), "/")
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return strings.TrimSuffix(one, "/") == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if strings.TrimSuffix(a, "/") == want {
				return true
			}
		}
	}
	return false
}

// checkEvent checks the event types the simulator models against their
// required fields; the others are taken as they come. Descriptions name
// fields in camel case, as Okta's do.
func checkEvent(eventType string, e map[string]any) string {
	blank := func(path string) string { return "'" + path + "': The field cannot be left blank" }
	str := func(k string) string { v, _ := e[k].(string); return v }
	levels := map[string]bool{"low": true, "medium": true, "high": true, "secure": true, "none": true}
	common := func(name string) string {
		if _, err := e["event_timestamp"].(json.Number); !err {
			return blank("events." + name + ".eventTimestamp")
		}
		if _, ok := e["subject"].(map[string]any); !ok {
			return blank("events." + name + ".subject")
		}
		ra, _ := e["reason_admin"].(map[string]any)
		ru, _ := e["reason_user"].(map[string]any)
		if ra == nil && ru == nil {
			return "'events." + name + "': Either reasonAdmin or reasonUser is required"
		}
		return ""
	}
	switch eventType {
	case EventIPChange:
		if str("current_ip_address") == "" {
			return blank("events.ipChangeEvent.currentIpAddress")
		}
		if str("previous_ip_address") == "" {
			return blank("events.ipChangeEvent.previousIpAddress")
		}
		return common("ipChangeEvent")
	case EventUserRiskChange:
		if !levels[str("current_level")] {
			return "'events.userRiskChangeEvent.currentLevel': The field must be one of low, medium, high, secure, none"
		}
		if !levels[str("previous_level")] {
			return "'events.userRiskChangeEvent.previousLevel': The field must be one of low, medium, high, secure, none"
		}
		if msg := common("userRiskChangeEvent"); msg != "" {
			return msg
		}
		sub, _ := e["subject"].(map[string]any)
		user, _ := sub["user"].(map[string]any)
		if user == nil {
			return blank("events.userRiskChangeEvent.subject.user")
		}
		return ""
	case eventDeviceRisk, eventCompliance, eventSessionRevoked, eventIDChanged:
		return ""
	}
	return fmt.Sprintf("'events': The event type %q is not supported", eventType)
}

// providerKey finds the kid's key in the provider's JWKS: the inline one,
// or the one its jwks_url serves (fetched each time, as the simulator
// keeps no cache).
func (s *Server) providerKey(ctx context.Context, p ssfProvider, h setHeaderJSON) (crypto.PublicKey, string) {
	raw := p.JWKS
	if raw == nil {
		ctx, cancel := context.WithTimeout(ctx, jwksFetchTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.JWKSURL, nil)
		if err != nil {
			return nil, "The provider's jwks_url is not a URL."
		}
		client := s.opts.JWKSClient
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, "The provider's JWKS could not be fetched from its jwks_url."
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Sprintf("The provider's jwks_url answered %d.", resp.StatusCode)
		}
		if raw, err = io.ReadAll(io.LimitReader(resp.Body, 256<<10)); err != nil {
			return nil, "The provider's JWKS could not be read."
		}
	}
	var set struct {
		Keys []struct {
			Kty, Kid, Alg, N, E, Crv, X, Y string
		} `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, "The provider's JWKS is not a JSON key set."
	}
	for _, k := range set.Keys {
		if k.Kid != h.Kid {
			continue
		}
		if k.Alg != "" && k.Alg != h.Alg {
			return nil, fmt.Sprintf("The key %s is for %s, not %s.", k.Kid, k.Alg, h.Alg)
		}
		switch {
		case k.Kty == "RSA" && h.Alg == "RS256":
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil || len(e) > 4 {
				return nil, "The provider's RSA key " + k.Kid + " is malformed."
			}
			return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, ""
		case k.Kty == "EC" && k.Crv == "P-256" && h.Alg == "ES256":
			x, err1 := base64.RawURLEncoding.DecodeString(k.X)
			y, err2 := base64.RawURLEncoding.DecodeString(k.Y)
			pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
			if err1 != nil || err2 != nil || !pub.Curve.IsOnCurve(pub.X, pub.Y) {
				return nil, "The provider's EC key " + k.Kid + " is malformed."
			}
			return pub, ""
		}
		return nil, fmt.Sprintf("The key %s (%s) cannot verify %s.", k.Kid, k.Kty, h.Alg)
	}
	return nil, fmt.Sprintf("The provider's JWKS has no key with kid %q.", h.Kid)
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return nil
}

func mustDecode(seg string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil
	}
	return b
}
