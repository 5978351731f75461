package oktasim

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/risktop/risktop/sources/sim/simkit"
)

const (
	jwtBearer         = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	maxAssertionLife  = time.Hour // Okta refuses an assertion whose exp is further out
	maxTokenFormBytes = 64 << 10
)

// oauthError writes the token endpoint's {error, error_description}.
func (s *Server) oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	simkit.WriteJSON(w, status, map[string]string{"error": code, "error_description": s.Faults().Text(desc)})
}

// token is POST /oauth2/v1/token on the org authorization server:
// client_credentials with a private_key_jwt client assertion.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "The token endpoint takes POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenFormBytes)
	// The form may come in the body (RFC 6749, what risktop sends) or in
	// the query string with an empty body, as okta-sdk-golang v5.0.2 sends
	// it (okta/client.go getAccessTokenForPrivateKey: tokenRequestURL +=
	// "?" + query.Encode(), a nil body); Okta takes both. A body must be a
	// form; its values win over the query's.
	isForm := strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil || (r.ContentLength != 0 && !isForm) {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "The request must be an application/x-www-form-urlencoded form.")
		return
	}
	f := r.Form
	if f.Get("grant_type") != "client_credentials" {
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type",
			"The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].")
		return
	}
	if f.Get("client_assertion_type") != jwtBearer || f.Get("client_assertion") == "" {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client",
			"Client authentication failed. Either the client or the client credentials are invalid.")
		return
	}
	clientID, msg := s.verifyAssertion(r, f.Get("client_assertion"))
	if msg != "" {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", msg)
		return
	}
	if id := f.Get("client_id"); id != "" && id != clientID {
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "The client_id does not match the client_assertion's issuer.")
		return
	}
	scopes := strings.Fields(f.Get("scope"))
	if len(scopes) == 0 {
		s.oauthError(w, http.StatusBadRequest, "invalid_scope",
			"The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	var missing []string
	for _, sc := range scopes {
		if !slices.Contains(s.opts.Scopes, sc) {
			missing = append(missing, sc)
		}
	}
	if len(missing) > 0 {
		s.oauthError(w, http.StatusBadRequest, "invalid_scope",
			"The following scopes were requested, but not granted: "+strings.Join(missing, " "))
		return
	}
	tok, _ := s.Tokens().Issue(s.opts.TokenTTL)
	s.mu.Lock()
	s.grants[tok] = grant{clientID: clientID, scopes: scopes}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	simkit.WriteJSON(w, http.StatusOK, map[string]any{
		"token_type":   "Bearer",
		"expires_in":   int64(s.opts.TokenTTL / time.Second),
		"access_token": tok,
		"scope":        strings.Join(scopes, " "),
	})
}

// verifyAssertion checks the client assertion the way Okta documents it:
// RS256 over the registered key, iss = sub = the client id, aud = this token
// URL, exp in the future but not too far, and a jti never seen before.
func (s *Server) verifyAssertion(r *http.Request, assertion string) (clientID, problem string) {
	if s.opts.ClientID == "" || s.opts.PublicKey == nil {
		return "", "Client authentication failed. Either the client or the client credentials are invalid."
	}
	aud := s.externalBase(r) + "/oauth2/v1/token"
	now := s.Clock().Now()
	tok, err := jwt.Parse(assertion, func(t *jwt.Token) (any, error) {
		if s.opts.KeyID != "" {
			if kid, _ := t.Header["kid"].(string); kid != s.opts.KeyID {
				return nil, errors.New("unknown kid")
			}
		}
		return s.opts.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithAudience(aud),
		jwt.WithIssuer(s.opts.ClientID),
		jwt.WithSubject(s.opts.ClientID),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", "The client_assertion token is expired."
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "", "The audience claim for client_assertion must be the endpoint invoked for the request."
	case errors.Is(err, jwt.ErrTokenInvalidIssuer), errors.Is(err, jwt.ErrTokenInvalidSubject):
		return "", "The client_assertion token's iss and sub must both be the client id."
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "", "The client_assertion signature is invalid."
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "", "The client_assertion token is missing a required claim (exp)."
	case err != nil:
		return "", "The client_assertion token is invalid."
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	exp, _ := claims.GetExpirationTime()
	if exp != nil && exp.Sub(now) > maxAssertionLife {
		return "", "The client_assertion token has an expiration too far into the future."
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return "", "The client_assertion token must contain a jti claim."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, until := range s.jtis {
		if !now.Before(until) {
			delete(s.jtis, id) // an expired assertion cannot be replayed anyway
		}
	}
	if _, used := s.jtis[jti]; used {
		return "", "The client_assertion token has already been used."
	}
	s.jtis[jti] = exp.Time
	return s.opts.ClientID, ""
}

// caller is who sent an API request.
type caller struct {
	auth     string // "SSWS" or "OAuth"
	clientID string
}

// admit runs a risk endpoint's checks in Okta's order: the rate limit
// (with its headers), the method, the caller, and whether the org has the
// feature. On refusal it has already written the answer.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, limit *simkit.Window, method string, scopes ...string) (caller, bool) {
	remaining, reset, ok := limit.Take()
	setRateHeaders(w, limit.Limit, remaining, reset)
	if !ok {
		s.writeError(w, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
		return caller{}, false
	}
	if s.opts.RiskEventsGone && strings.Contains(r.URL.Path, "/api/v1/risk/") {
		s.writeError(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+r.URL.Path+" (HttpResource)")
		return caller{}, false
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		s.writeError(w, http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
		return caller{}, false
	}
	who, ok := s.authorize(w, r, scopes...)
	if !ok {
		return caller{}, false
	}
	if s.opts.FeatureDisabled {
		s.writeError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
		return caller{}, false
	}
	return who, true
}

// authorize checks the Authorization header. A bearer token must carry one
// of scopes; an SSWS token is an admin's and may do anything. On failure it
// has already written the answer.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scopes ...string) (caller, bool) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case scheme == "SSWS" && cred != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(s.opts.APIToken)) == 1:
		return caller{auth: "SSWS"}, true
	case strings.EqualFold(scheme, "Bearer") && cred != "" && s.Tokens().Valid(cred):
		s.mu.Lock()
		g, ok := s.grants[cred]
		s.mu.Unlock()
		if !ok {
			break
		}
		for _, sc := range scopes {
			if slices.Contains(g.scopes, sc) {
				return caller{auth: "OAuth", clientID: g.clientID}, true
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", scope="`+strings.Join(scopes, " ")+`"`)
		s.writeError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
		return caller{}, false
	}
	if strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is invalid."`)
	}
	s.writeError(w, http.StatusUnauthorized, "E0000004", "Authentication failed")
	return caller{}, false
}
