package onelogin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
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

// UnmarshalJSON decodes an event. Ids and type ids come as numbers or as
// numeric strings (FlexID), null or absent for "none"; resolution is
// taken as text whatever its JSON type. An event without a readable id,
// created_at or event_type_id is an error: a row the page skips and
// counts (EventPage.RowErrors), never a failed page.
func (e *Event) UnmarshalJSON(b []byte) error {
	*e = Event{}
	type plain Event
	aux := struct {
		*plain
		ID                   FlexID          `json:"id"`
		AccountID            FlexID          `json:"account_id"`
		EventTypeID          FlexID          `json:"event_type_id"`
		UserID               FlexID          `json:"user_id"`
		ActorUserID          FlexID          `json:"actor_user_id"`
		AssumingActingUserID FlexID          `json:"assuming_acting_user_id"`
		AppID                FlexID          `json:"app_id"`
		RoleID               FlexID          `json:"role_id"`
		GroupID              FlexID          `json:"group_id"`
		PolicyID             FlexID          `json:"policy_id"`
		OTPDeviceID          FlexID          `json:"otp_device_id"`
		DirectoryID          FlexID          `json:"directory_id"`
		DirectorySyncRunID   FlexID          `json:"directory_sync_run_id"`
		ResourceTypeID       FlexID          `json:"resource_type_id"`
		RiskScore            FlexID          `json:"risk_score"`
		Resolution           json.RawMessage `json:"resolution"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return rowDecodeError(err, b)
	}
	switch {
	case !aux.ID.Set:
		return errors.New("no id")
	case e.CreatedAt.IsZero():
		return errors.New("no created_at")
	case !aux.EventTypeID.Set:
		return errors.New("no event_type_id")
	case aux.EventTypeID.Value < 0 || aux.EventTypeID.Value > math.MaxInt32:
		return fmt.Errorf("event_type_id %d out of range", aux.EventTypeID.Value)
	case aux.RiskScore.Set && (aux.RiskScore.Value < 0 || aux.RiskScore.Value > 100):
		return fmt.Errorf("risk_score %d is not 0–100", aux.RiskScore.Value)
	}
	e.ID, e.AccountID, e.EventTypeID = aux.ID.Value, aux.AccountID.Value, int(aux.EventTypeID.Value)
	e.UserID, e.ActorUserID, e.AssumingActingUserID = aux.UserID.Ptr(), aux.ActorUserID.Ptr(), aux.AssumingActingUserID.Ptr()
	e.AppID, e.RoleID, e.GroupID, e.PolicyID = aux.AppID.Ptr(), aux.RoleID.Ptr(), aux.GroupID.Ptr(), aux.PolicyID.Ptr()
	e.OTPDeviceID, e.DirectoryID = aux.OTPDeviceID.Ptr(), aux.DirectoryID.Ptr()
	e.DirectorySyncRunID, e.ResourceTypeID = aux.DirectorySyncRunID.Ptr(), aux.ResourceTypeID.Ptr()
	e.RiskScore = nil
	if aux.RiskScore.Set {
		v := int(aux.RiskScore.Value)
		e.RiskScore = &v
	}
	e.Resolution = scalarText(aux.Resolution)
	return nil
}

// idFields are the event's fields decoded as FlexID, in the order a bad
// one is looked for.
var idFields = []string{"id", "event_type_id", "account_id", "user_id", "actor_user_id", "assuming_acting_user_id",
	"app_id", "role_id", "group_id", "policy_id", "otp_device_id", "directory_id", "directory_sync_run_id",
	"resource_type_id", "risk_score"}

// rowDecodeError says which field of a row did not decode, without the
// row's text (it may be hostile, and is logged).
func rowDecodeError(err error, row []byte) error {
	var te *json.UnmarshalTypeError
	var ie *idError
	switch {
	case errors.As(err, &ie):
		var fields map[string]json.RawMessage
		if json.Unmarshal(row, &fields) == nil {
			for _, name := range idFields {
				var f FlexID
				if raw, ok := fields[name]; ok && json.Unmarshal(raw, &f) != nil {
					return errors.New(name + " " + err.Error())
				}
			}
		}
		return err
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("%s is a JSON %s", te.Field, te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("a JSON %s where an event belongs", te.Value)
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return errors.New("created_at is not a time")
	}
	return errors.New("not an event: " + sanitize.LineN(err.Error(), 120))
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
	// RowErrors are the rows that did not decode as events, skipped.
	RowErrors []RowError
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
	Data []json.RawMessage `json:"data"`
}

// RowError is one row of a page that is not an event: skipped and
// counted, never a failed page.
type RowError struct {
	Index int    // the row's place in the page's data, from 0
	ID    string // its id when that much was readable, else ""
	Err   string // what was wrong, sanitized
}

func (r RowError) Error() string {
	what := "row " + strconv.Itoa(r.Index+1)
	if r.ID != "" {
		what += " (id " + r.ID + ")"
	}
	return what + ": " + r.Err
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
	page := EventPage{Events: make([]Event, 0, len(env.Data))}
	for i, raw := range env.Data {
		var e Event
		if err := json.Unmarshal(raw, &e); err != nil {
			var idOnly struct {
				ID FlexID `json:"id"`
			}
			re := RowError{Index: i, Err: sanitize.LineN(err.Error(), 200)}
			if json.Unmarshal(raw, &idOnly) == nil && idOnly.ID.Set {
				re.ID = strconv.FormatInt(idOnly.ID.Value, 10)
			}
			page.RowErrors = append(page.RowErrors, re)
			continue
		}
		page.Events = append(page.Events, e)
	}
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
