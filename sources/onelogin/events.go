package onelogin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sanitize"
)

const eventsPath = "/api/1/events"

// MaxEventsPerPage is the most events one Get Events page holds.
const MaxEventsPerPage = 50

// TimeFormat is how OneLogin wants times: UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Event is one Get Events resource. Absent and null values are zero: ""
// for text, nil for the optional ids and the risk score.
type Event struct {
	ID                   int64     `json:"id"`
	CreatedAt            time.Time `json:"created_at"`
	AccountID            int64     `json:"account_id"`
	EventTypeID          int       `json:"event_type_id"`
	UserID               *int64    `json:"user_id"`
	UserName             string    `json:"user_name"` // first and last name, or the email when both are empty
	ActorUserID          *int64    `json:"actor_user_id"`
	ActorUserName        string    `json:"actor_user_name"`
	AssumingActingUserID *int64    `json:"assuming_acting_user_id"`
	ActorSystem          string    `json:"actor_system"`
	AppID                *int64    `json:"app_id"`
	AppName              string    `json:"app_name"`
	RoleID               *int64    `json:"role_id"`
	RoleName             string    `json:"role_name"`
	GroupID              *int64    `json:"group_id"`
	GroupName            string    `json:"group_name"`
	PolicyID             *int64    `json:"policy_id"`
	PolicyName           string    `json:"policy_name"`
	OTPDeviceID          *int64    `json:"otp_device_id"`
	OTPDeviceName        string    `json:"otp_device_name"`
	DirectoryID          *int64    `json:"directory_id"`
	DirectorySyncRunID   *int64    `json:"directory_sync_run_id"`
	ResourceTypeID       *int64    `json:"resource_type_id"`
	ClientID             string    `json:"client_id"`
	IPAddr               string    `json:"ipaddr"`
	ProxyIP              string    `json:"proxy_ip"`
	Notes                string    `json:"notes"`
	CustomMessage        string    `json:"custom_message"`
	ErrorDescription     string    `json:"error_description"`
	OperationName        string    `json:"operation_name"`
	Resolution           string    `json:"resolution"` // its type is undocumented: a number arrives as its text
	RiskScore            *int      `json:"risk_score"` // 0–100; nil without SmartFactor / Smart MFA
	RiskReasons          string    `json:"risk_reasons" sanitize:"block"`
	RiskCookieID         string    `json:"risk_cookie_id"`
	BrowserFingerprint   string    `json:"browser_fingerprint"`
}

// UnmarshalJSON decodes an event, taking resolution as text whatever its
// JSON type.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	aux := struct {
		*plain
		Resolution json.RawMessage `json:"resolution"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	e.Resolution = scalarText(aux.Resolution)
	return nil
}

// scalarText is a JSON scalar as text: a string unquoted, a number or bool
// as written, null (or anything else) as "".
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		switch v.(type) {
		case float64, bool:
			return strings.TrimSpace(string(raw))
		}
	}
	return ""
}

// RiskReasonLines splits risk_reasons into its lines, dropping empty ones.
func (e Event) RiskReasonLines() []string {
	var out []string
	for line := range strings.SplitSeq(e.RiskReasons, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// Query filters Get Events. The zero value asks for everything, 50 a page,
// in the server's default order.
type Query struct {
	// Since and Until bound created_at, both exclusive. OneLogin compares
	// them to the second, so a poller resuming from a time should overlap
	// by a second and drop the ids it has seen (or resume with sort +id
	// from a cursor).
	Since, Until time.Time
	// CreatedAt asks for events created at this moment (to the second).
	CreatedAt    time.Time
	EventTypeIDs []int // any of these (event_type_id=8,13)
	UserID       int64 // 0: any
	ID           int64 // an event id; 0: any
	ClientID     string
	DirectoryID  int64
	Resolution   string
	Sort         string   // "+id" (oldest first), "-id" or "" for the server's default
	Fields       []string // return only these fields (id always comes back)
	Limit        int      // events per page, 1–50; 0 means 50
	// AfterCursor resumes from a page's AfterCursor stored earlier.
	AfterCursor string
}

// values checks q and encodes it as Get Events query parameters.
func (q Query) values() (url.Values, error) {
	v := url.Values{}
	fail := func(format string, args ...any) (url.Values, error) {
		return nil, fmt.Errorf("onelogin: events query: "+format, args...)
	}
	if !q.Since.IsZero() {
		v.Set("since", FormatTime(q.Since))
	}
	if !q.Until.IsZero() {
		v.Set("until", FormatTime(q.Until))
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return fail("since (%s) must be before until (%s)", FormatTime(q.Since), FormatTime(q.Until))
	}
	if !q.CreatedAt.IsZero() {
		v.Set("created_at", FormatTime(q.CreatedAt))
	}
	if len(q.EventTypeIDs) > 0 {
		ids := make([]string, len(q.EventTypeIDs))
		for i, id := range q.EventTypeIDs {
			if id <= 0 {
				return fail("event type id %d must be positive", id)
			}
			ids[i] = strconv.Itoa(id)
		}
		v.Set("event_type_id", strings.Join(ids, ","))
	}
	for _, p := range []struct {
		name string
		val  int64
	}{{"user_id", q.UserID}, {"id", q.ID}, {"directory_id", q.DirectoryID}} {
		switch {
		case p.val < 0:
			return fail("%s %d must be positive", p.name, p.val)
		case p.val > 0:
			v.Set(p.name, strconv.FormatInt(p.val, 10))
		}
	}
	if q.ClientID != "" {
		v.Set("client_id", q.ClientID)
	}
	if q.Resolution != "" {
		v.Set("resolution", q.Resolution)
	}
	switch q.Sort {
	case "":
	case "+id", "-id":
		v.Set("sort", q.Sort)
	default:
		return fail("sort %q must be +id or -id", q.Sort)
	}
	if len(q.Fields) > 0 {
		for _, f := range q.Fields {
			if f == "" || strings.ContainsAny(f, ", \t\n") {
				return fail("field name %q is not a single field", f)
			}
		}
		v.Set("fields", strings.Join(q.Fields, ","))
	}
	switch {
	case q.Limit == 0:
		v.Set("limit", strconv.Itoa(MaxEventsPerPage))
	case q.Limit < 1 || q.Limit > MaxEventsPerPage:
		return fail("limit %d must be between 1 and %d", q.Limit, MaxEventsPerPage)
	default:
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.AfterCursor != "" {
		v.Set("after_cursor", q.AfterCursor)
	}
	return v, nil
}

// FormatTime writes t as OneLogin wants it: UTC, with milliseconds.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// EventPage is one page of Get Events.
type EventPage struct {
	Events []Event
	// The cursors and links go back to OneLogin and never to the screen;
	// they are opaque and kept exactly as sent.
	BeforeCursor string `sanitize:"-"`
	AfterCursor  string `sanitize:"-"`
	PreviousLink string `sanitize:"-"`
	NextLink     string `sanitize:"-"`
}

// Last reports whether no page follows this one.
func (p EventPage) Last() bool { return p.AfterCursor == "" && p.NextLink == "" }

type eventsEnvelope struct {
	Status     *statusEnvelope `json:"status"`
	Pagination struct {
		BeforeCursor *string `json:"before_cursor"`
		AfterCursor  *string `json:"after_cursor"`
		PreviousLink *string `json:"previous_link"`
		NextLink     *string `json:"next_link"`
	} `json:"pagination"`
	Data []Event `json:"data"`
}

// EventPages pages through Get Events, one request per page, following
// pagination.next_link (or after_cursor) until neither is left. Stop
// ranging and no further request is made. An error ends the sequence.
func (c *Client) EventPages(ctx context.Context, q Query) iter.Seq2[EventPage, error] {
	return func(yield func(EventPage, error) bool) {
		params, err := q.values()
		if err != nil {
			yield(EventPage{}, err)
			return
		}
		req := httpx.Request{Method: http.MethodGet, Path: eventsPath, Query: params, Op: "GET " + eventsPath}
		for {
			page, err := c.eventPage(ctx, req)
			if err != nil {
				yield(EventPage{}, err)
				return
			}
			if !yield(page, nil) || page.Last() {
				return
			}
			next, err := c.nextEventsRequest(req, page, params)
			if err != nil {
				yield(EventPage{}, err)
				return
			}
			req = next
		}
	}
}

// Events returns the first page of q, for callers that page by hand with
// Query.AfterCursor.
func (c *Client) Events(ctx context.Context, q Query) (EventPage, error) {
	for page, err := range c.EventPages(ctx, q) {
		return page, err
	}
	return EventPage{}, nil
}

func (c *Client) eventPage(ctx context.Context, req httpx.Request) (EventPage, error) {
	var env eventsEnvelope
	if _, err := c.do(ctx, req, &env); err != nil {
		return EventPage{}, err
	}
	if env.Status != nil && env.Status.Error {
		e := &APIError{Code: env.Status.Code, Type: sanitize.LineN(env.Status.Type, 100), Message: sanitize.LineN(env.Status.Message, 300)}
		return EventPage{}, &httpx.Error{Vendor: vendorName, Op: req.Op, Kind: httpx.KindDecode, Err: e,
			Hint: hintFor(e.Code, e)}
	}
	return pageOf(env), nil
}

// DecodeEventsPage decodes and sanitizes one Get Events body the way the
// client does each page it fetches (the ingest benchmark measures it).
func DecodeEventsPage(body []byte) (EventPage, error) {
	var env eventsEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return EventPage{}, err
	}
	return pageOf(env), nil
}

func pageOf(env eventsEnvelope) EventPage {
	page := EventPage{Events: env.Data}
	p := env.Pagination
	page.BeforeCursor, page.AfterCursor = deref(p.BeforeCursor), deref(p.AfterCursor)
	page.PreviousLink, page.NextLink = deref(p.PreviousLink), deref(p.NextLink)
	sanitize.Struct(&page)
	return page
}

// nextEventsRequest follows next_link verbatim when it points at the
// configured host. A link elsewhere (a regional base URL answered with a
// subdomain link) or no link falls back to after_cursor on the base URL,
// with the filters repeated in case the server wants them.
func (c *Client) nextEventsRequest(prev httpx.Request, page EventPage, params url.Values) (httpx.Request, error) {
	next := httpx.Request{Method: http.MethodGet, Op: prev.Op}
	if link, err := url.Parse(page.NextLink); page.NextLink != "" && err == nil &&
		link.Scheme == c.base.Scheme && link.Host == c.base.Host {
		next.Path = page.NextLink
	} else if page.AfterCursor != "" {
		q := url.Values{}
		for k, vs := range params {
			q[k] = vs
		}
		q.Set("after_cursor", page.AfterCursor)
		next.Path, next.Query = eventsPath, q
	} else {
		next.Path = page.NextLink // httpx refuses a foreign host with a clear error
	}
	if next.Path == prev.Path && next.Query.Encode() == prev.Query.Encode() {
		return httpx.Request{}, &httpx.Error{Vendor: vendorName, Op: prev.Op, Kind: httpx.KindDecode,
			Err: errors.New("pagination did not advance (the next page is the one just read)")}
	}
	return next, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
