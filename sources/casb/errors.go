package casb

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/risktop/risktop/sources/sanitize"
)

// APIError is an error body from Oracle CASB. The API documents an `Error`
// schema without showing its fields, so Message and Code come from whichever
// common key the body used; when none did, Message is a sanitized snippet of
// the body itself.
type APIError struct {
	Status  int
	Code    string // the vendor's own code, when the body had one
	Message string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no error details in the response"
	}
	if e.Code != "" && e.Code != strconv.Itoa(e.Status) && !strings.Contains(msg, e.Code) {
		msg += " (code " + e.Code + ")"
	}
	return msg
}

// Keys tried, in order, for the message and the code of an undocumented
// error body. "entity" is the token endpoint's generic Response schema.
var (
	messageKeys = []string{"message", "errorMessage", "error_message", "errorSummary", "error_description",
		"description", "detail", "details", "error", "entity", "title", "reason", "msg"}
	codeKeys = []string{"errorCode", "error_code", "code", "errorId"}
)

// decodeError is the httpx DecodeError hook: it never fails, whatever the body.
func decodeError(status int, _ http.Header, body []byte) (error, string) {
	e := &APIError{Status: status}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err == nil && obj != nil {
		e.Message, e.Code = fromObject(obj, 0)
	}
	if e.Message == "" {
		e.Message = snippet(body)
	}
	e.Message = sanitize.LineN(e.Message, 300)
	e.Code = sanitize.LineN(e.Code, 64)
	return e, hintFor(status)
}

// fromObject finds a message and a code, looking one level into a nested
// object such as {"error":{"message":…}}.
func fromObject(obj map[string]json.RawMessage, depth int) (msg, code string) {
	get := func(keys []string) (string, map[string]json.RawMessage) {
		for _, k := range keys {
			raw, ok := lookupFold(obj, k)
			if !ok {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s), nil
			}
			var n json.Number
			if json.Unmarshal(raw, &n) == nil {
				return n.String(), nil
			}
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) == nil && inner != nil {
				return "", inner
			}
		}
		return "", nil
	}
	msg, nested := get(messageKeys)
	code, _ = get(codeKeys)
	if msg == "" && nested != nil && depth == 0 {
		var innerCode string
		msg, innerCode = fromObject(nested, depth+1)
		if code == "" {
			code = innerCode
		}
	}
	return msg, code
}

func lookupFold(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func snippet(body []byte) string {
	if len(body) > 4096 {
		body = body[:4096]
	}
	return sanitize.LineN(string(bytes.TrimSpace(body)), 200)
}

// hintFor says what a person can do about a status, per the seed page.
func hintFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad request format: check the report name, the filters and that pagesize is at most 100"
	case http.StatusUnauthorized:
		return "check the CASB access key and secret (a fresh token was already tried)"
	case http.StatusForbidden:
		return "CASB APIs are probably not enabled for the tenant — ask the CASB admin to enable them and issue an API user"
	case http.StatusNotFound:
		return "report or application instance not found — check the report name (e.g. Userrisk), applicationInstanceName and the base URL"
	case http.StatusTooManyRequests:
		return "CASB is throttling requests, will retry after the wait it asked for"
	case http.StatusInternalServerError:
		return "CASB internal server error, will retry; if it persists, contact Oracle support"
	case http.StatusServiceUnavailable:
		return "CASB service unavailable, will retry"
	case http.StatusGatewayTimeout:
		return "gateway timed out, will retry"
	}
	return ""
}
