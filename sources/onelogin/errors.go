package onelogin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	hintAuthHeader  = "OneLogin refused the Authorization header in both forms risktop tries (\"Bearer <token>\" and \"bearer:<token>\"); check that the base URL is the account's API host (https://<subdomain>.onelogin.com)"
	hintCredentials = "check client_id/client_secret (Developers → API Credentials); the credential needs Read All or Manage All"
	hintScope       = "the API credential's scope does not allow this call; it needs Read All or Manage All"
	hintNoRoute     = "No Route Exists: check the base URL (https://<subdomain>.onelogin.com, or api.us/api.eu.onelogin.com) and the method"
	hintRateLimit   = "OneLogin allows 5,000 calls an hour per account, shared with every other integration (SIEM collectors…); risktop waits for X-RateLimit-Reset"
	// OneLogin: "API Credentials are linked to the owner that created them.
	// Therefore if you delete a user, any credentials they created will fail
	// to work and return an HTTP 500 error. In this case you will need to
	// generate a new set of credentials."
	// (https://developers.onelogin.com/api-docs/2/oauth20-tokens/generate-tokens-2).
	// No body is documented for that 500, so the token endpoint's 500 (or a
	// body that says so) is what names it; see Client.do.
	hintOwnerDeleted = "the user who created this API credential was deleted: create a new credential (Developers → API Credentials) under an admin account that stays"
	hintServerError  = "OneLogin had an internal error; risktop retries"
)

// ownerDeletedWait is how long the poller waits after the owner-deleted
// 500 before it tries again: every try spends calls of the account's
// shared hourly budget and cannot work until someone makes a new
// credential (a refresh from the dashboard tries at once).
const ownerDeletedWait = 30 * time.Minute

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
	case status == http.StatusInternalServerError && e != nil && saysOwnerDeleted(e.Message+" "+e.Type):
		return hintOwnerDeleted
	case status == http.StatusInternalServerError:
		return hintServerError
	}
	return ""
}

// saysOwnerDeleted reports a 500 body that itself says the credential's
// user is gone ("user deleted", "owner … deleted"): undocumented wording,
// so it is matched loosely.
func saysOwnerDeleted(m string) bool {
	m = strings.ToLower(m)
	return strings.Contains(m, "deleted") && (strings.Contains(m, "user") || strings.Contains(m, "owner") || strings.Contains(m, "credential"))
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
