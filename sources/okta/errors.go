package okta

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/risktop/risktop/sources/sanitize"
)

// Okta error codes risktop acts on.
const (
	CodeValidation   = "E0000001" // 400: API validation failed
	CodeMalformed    = "E0000003" // 400: the body was not well-formed
	CodeAuthFailed   = "E0000004" // 401: authentication failed
	CodeInvalidSess  = "E0000005" // 403: invalid session
	CodeForbidden    = "E0000006" // 403: no permission (scope, feature)
	CodeNotFound     = "E0000007" // 404
	CodeInvalidToken = "E0000011" // 401: invalid token
	CodeRateLimited  = "E0000047" // 429
)

// APIError is Okta's error body:
// {errorCode, errorSummary, errorLink, errorId, errorCauses[{errorSummary}]}.
// Every text field is sanitized.
type APIError struct {
	Status  int
	Code    string   // "E0000047"
	Summary string   // errorSummary
	Link    string   // errorLink (Okta repeats the code here)
	ID      string   // errorId, for Okta support
	Causes  []string // errorCauses[].errorSummary: the rule each problem broke
}

func (e *APIError) Error() string {
	msg := e.Code
	if e.Summary != "" {
		if msg != "" {
			msg += ": "
		}
		msg += e.Summary
	}
	if len(e.Causes) > 0 {
		msg += " (" + strings.Join(e.Causes, "; ") + ")"
	}
	if e.ID != "" {
		msg += " [errorId " + e.ID + "]"
	}
	return msg
}

// TokenError is the token endpoint's OAuth error: {error, error_description}.
type TokenError struct {
	Status      int
	Code        string // "invalid_client"
	Description string
}

func (e *TokenError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// errorBody holds both shapes; whichever carries its code wins.
type errorBody struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorLink    string `json:"errorLink"`
	ErrorID      string `json:"errorId"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`

	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`

	// RFC 8935's, on the SSF security-events endpoint.
	Err         string `json:"err"`
	Description string `json:"description"`
}

// decodeError is the httpx DecodeError hook.
func (c *Client) decodeError(status int, _ http.Header, body []byte) (error, string) {
	var b errorBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, c.hint(status, "")
	}
	switch {
	case b.ErrorCode != "" || b.ErrorSummary != "":
		e := &APIError{
			Status:  status,
			Code:    sanitize.LineN(b.ErrorCode, 32),
			Summary: sanitize.Line(b.ErrorSummary),
			Link:    sanitize.Line(b.ErrorLink),
			ID:      sanitize.LineN(b.ErrorID, 64),
		}
		for _, cause := range b.ErrorCauses {
			if s := sanitize.Line(cause.ErrorSummary); s != "" {
				e.Causes = append(e.Causes, s)
			}
		}
		return e, c.hint(status, e.Code)
	case b.Err != "":
		e := &SETError{Status: status, Code: sanitize.LineN(b.Err, 64), Description: sanitize.Line(b.Description)}
		return e, c.setHint(e.Code)
	case b.Error != "":
		e := &TokenError{Status: status, Code: sanitize.LineN(b.Error, 64), Description: sanitize.Line(b.ErrorDescription)}
		return e, c.tokenHint(e.Code)
	}
	return nil, c.hint(status, "")
}

// hint says what a person can do about an Okta error.
func (c *Client) hint(status int, code string) string {
	oauth := c.cfg.Mode() == "oauth"
	switch {
	case code == CodeAuthFailed || code == CodeInvalidToken || (code == "" && status == http.StatusUnauthorized):
		if oauth {
			return "Okta refused the access token even after minting a new one; check that the service app " + c.cfg.ClientID + " is active"
		}
		return "the SSWS API token is invalid, expired (30 idle days), or its admin was deactivated; create a new one under Security → API → Tokens"
	case code == CodeForbidden || code == CodeInvalidSess || (code == "" && status == http.StatusForbidden):
		if oauth {
			return "grant the scope " + ScopeRiskEvents + " to the service app (POST /api/v1/apps/{clientId}/grants; " + ScopeProvidersRead + " to read providers), " +
				"and make sure third-party risk providers are enabled for the org (an Okta support ticket)"
		}
		return "the token's admin lacks permission, or third-party risk providers are not enabled for the org (an Okta support ticket enables them)"
	case code == CodeRateLimited || status == http.StatusTooManyRequests:
		return "Okta allows 3 risk-event requests a minute per provider (integration guide; the API reference says 30); lower RequestsPerMinute or send fewer, fuller batches"
	case code == CodeValidation:
		return "Okta rejected the payload; the causes name the rule (risktop validates the documented rules before sending)"
	case code == CodeMalformed:
		return "Okta could not read the request body"
	case code == CodeNotFound || status == http.StatusNotFound:
		return "check that BaseURL is the org URL and that the Risk Events/Risk Providers APIs (Early Access) are enabled for the org"
	}
	return ""
}

func (c *Client) tokenHint(code string) string {
	switch code {
	case "invalid_client":
		return "the client assertion was refused: check ClientID, that the app's token auth method is private_key_jwt, that its JWKS holds the public half of PrivateKeyPEM" +
			" (and KeyID matches its kid), and that this machine's clock is right"
	case "invalid_scope":
		return "the service app is not granted the scope it asked for: grant " + ScopeRiskEvents + " (and " + ScopeProvidersRead + " for provider checks) with POST /api/v1/apps/{clientId}/grants"
	case "unauthorized_client":
		return "the service app must allow the client_credentials grant"
	case "invalid_dpop_proof", "use_dpop_nonce":
		return `the service app requires DPoP; untick "Require Demonstrating Proof of Possession (DPoP)" for it`
	case "unsupported_grant_type", "invalid_request":
		return "the org authorization server refused the request form; is BaseURL the org URL (not /oauth2/default)?"
	}
	return ""
}
