package onelogin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/risktop/risktop/sources/sanitize"
)

// APIError is OneLogin's error envelope,
// {"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}.
// Its text is sanitized.
type APIError struct {
	Code    int
	Type    string
	Message string
}

func (e *APIError) Error() string {
	switch {
	case e.Message != "" && e.Type != "" && !strings.EqualFold(e.Type, e.Message):
		return e.Message + " (" + e.Type + ")"
	case e.Message != "":
		return e.Message
	case e.Type != "":
		return e.Type
	}
	return "error code " + strconv.Itoa(e.Code)
}

// MsgAuthHeader is the 400 message for an Authorization header in a form
// the server does not take.
const MsgAuthHeader = "Authorization Information is incorrect"

// Hints for the operator, by what went wrong.
const (
	hintAuthHeader   = "OneLogin refused the Authorization header in both forms risktop tries (\"Bearer <token>\" and \"bearer:<token>\"); check that the base URL is the account's API host (https://<subdomain>.onelogin.com)"
	hintCredentials  = "check client_id/client_secret (Developers → API Credentials); the credential needs Read All or Manage All"
	hintScope        = "the API credential's scope does not allow this call; it needs Read All or Manage All"
	hintNoRoute      = "No Route Exists: check the base URL (https://<subdomain>.onelogin.com, or api.us/api.eu.onelogin.com) and the method"
	hintRateLimit    = "OneLogin allows 5,000 calls an hour per account, shared with every other integration (SIEM collectors…); risktop waits for X-RateLimit-Reset"
	hintOwnerDeleted = "OneLogin answers 500 when the admin who created the API credential has been deleted; if this persists, create a new credential under a service admin account"
)

// statusEnvelope is the v1 {"status":{…}} header of every response.
type statusEnvelope struct {
	Error   bool   `json:"error"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// decodeError maps an error body to *APIError and a hint. Bodies that are
// not the envelope still get the hint their status deserves.
func decodeError(status int, _ http.Header, body []byte) (error, string) {
	var apiErr *APIError
	var env struct {
		Status *statusEnvelope `json:"status"`
		// Shapes some OneLogin v2 endpoints and OAuth servers use.
		Message          string `json:"message"`
		Name             string `json:"name"`
		Err              string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &env) == nil {
		switch {
		case env.Status != nil:
			apiErr = &APIError{Code: env.Status.Code, Type: env.Status.Type, Message: env.Status.Message}
		case env.Message != "" || env.ErrorDescription != "":
			apiErr = &APIError{Code: status, Type: firstNonEmpty(env.Name, env.Err), Message: firstNonEmpty(env.Message, env.ErrorDescription)}
		}
	}
	if apiErr != nil {
		if apiErr.Code == 0 {
			apiErr.Code = status
		}
		apiErr.Type = sanitize.LineN(apiErr.Type, 100)
		apiErr.Message = sanitize.LineN(apiErr.Message, 300)
	}
	hint := hintFor(status, apiErr)
	if apiErr == nil {
		return nil, hint // httpx falls back to a sanitized snippet of the body
	}
	return apiErr, hint
}

func hintFor(status int, e *APIError) string {
	switch {
	case status == http.StatusBadRequest && e != nil && isAuthHeaderMessage(e.Message):
		return hintAuthHeader
	case status == http.StatusUnauthorized:
		return hintCredentials
	case status == http.StatusForbidden:
		return hintScope
	case status == http.StatusNotFound:
		return hintNoRoute
	case status == http.StatusTooManyRequests:
		return hintRateLimit
	case status == http.StatusInternalServerError:
		return hintOwnerDeleted
	}
	return ""
}

func isAuthHeaderMessage(m string) bool {
	return strings.EqualFold(strings.TrimSpace(m), MsgAuthHeader)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
