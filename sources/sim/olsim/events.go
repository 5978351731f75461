package olsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// timeFormat is how OneLogin writes created_at (UTC, milliseconds).
const timeFormat = "2006-01-02T15:04:05.000Z"

// EventTypeID is the Get Events event_type_id of each kind of activity.
var eventTypeIDs = map[simkit.Kind]int{
	simkit.KindLogin:          5,
	simkit.KindFailedLogin:    6,
	simkit.KindLogout:         7,
	simkit.KindAppLogin:       8,
	simkit.KindPasswordChange: 11,
	simkit.KindUserUpdated:    14,
	simkit.KindUserLocked:     19,
	simkit.KindOTPRegistered:  22,
}

// EventTypeID returns the event_type_id the simulator gives activity of kind k.
func EventTypeID(k simkit.Kind) int { return eventTypeIDs[k] }

// EventID returns the event id the simulator gives activity a.
func EventID(a simkit.Activity) int64 { return EventIDBase + a.Seq }

// filter is a Get Events query. It travels inside the cursor, because
// next_link carries nothing but the cursor.
type filter struct {
	Since       *int64   `json:"s,omitempty"` // unix seconds: the filters are precise to the second
	Until       *int64   `json:"u,omitempty"`
	CreatedAt   *int64   `json:"c,omitempty"`
	Types       []int    `json:"t,omitempty"`
	UserID      *int64   `json:"ui,omitempty"`
	ID          *int64   `json:"i,omitempty"`
	ClientID    *string  `json:"ci,omitempty"`
	DirectoryID *int64   `json:"d,omitempty"`
	Resolution  *string  `json:"r,omitempty"`
	Asc         bool     `json:"a,omitempty"`
	Fields      []string `json:"f,omitempty"`
	Limit       int      `json:"l"`
}

// cursor is a position in a filtered, sorted event list.
type cursor struct {
	F      filter `json:"q"`
	After  int64  `json:"n,omitempty"` // the page after this event id
	Before int64  `json:"p,omitempty"` // the page before this event id
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.F.Limit < 1 || c.F.Limit > MaxPageSize || (c.After == 0) == (c.Before == 0) {
		return cursor{}, fmt.Errorf("invalid cursor")
	}
	return c, nil
}

// parseFilter reads a first-page query. A value that does not parse is a
// 400, as OneLogin answers bad search parameters.
func parseFilter(q url.Values) (filter, string) {
	f := filter{Limit: MaxPageSize}
	for _, t := range []struct {
		name string
		dst  **int64
	}{{"since", &f.Since}, {"until", &f.Until}, {"created_at", &f.CreatedAt}} {
		if v := q.Get(t.name); v != "" {
			tm, err := parseTime(v)
			if err != nil {
				return f, "Invalid " + t.name
			}
			sec := tm.Unix()
			*t.dst = &sec
		}
	}
	for _, t := range []struct {
		name string
		dst  **int64
	}{{"user_id", &f.UserID}, {"id", &f.ID}, {"directory_id", &f.DirectoryID}} {
		if v := q.Get(t.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return f, "Invalid " + t.name
			}
			*t.dst = &n
		}
	}
	if v := q.Get("client_id"); v != "" {
		f.ClientID = &v
	}
	if v := q.Get("resolution"); v != "" {
		f.Resolution = &v
	}
	if v := q.Get("event_type_id"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return f, "Invalid event_type_id"
			}
			f.Types = append(f.Types, n)
		}
	}
	// A raw "+" in a query string decodes as a space, so " id" is "+id".
	switch q.Get("sort") {
	case "", "-id":
	case "+id", " id", "id":
		f.Asc = true
	default:
		return f, "Invalid sort: use +id or -id"
	}
	if v := q.Get("fields"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				f.Fields = append(f.Fields, part)
			}
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, "Invalid limit"
		}
		f.Limit = min(n, MaxPageSize)
	}
	return f, ""
}

// parseTime reads the ISO 8601 forms the API is sent: with or without
// fractional seconds, or a bare date.
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

func (f filter) match(a simkit.Activity, p simkit.Person) bool {
	sec := a.Time.Unix()
	switch {
	case f.Since != nil && sec <= *f.Since, f.Until != nil && sec >= *f.Until:
		return false
	case f.CreatedAt != nil && sec != *f.CreatedAt:
		return false
	case len(f.Types) > 0 && !slices.Contains(f.Types, EventTypeID(a.Kind)):
		return false
	case f.UserID != nil && *f.UserID != p.OneLoginID:
		return false
	case f.ID != nil && *f.ID != EventID(a):
		return false
	case f.ClientID != nil, f.DirectoryID != nil, f.Resolution != nil:
		return false // simulated events have none of these
	}
	return true
}

// precedes reports whether event id x comes before y in the sort order.
func (f filter) precedes(x, y int64) bool {
	if f.Asc {
		return x < y
	}
	return x > y
}

// events serves GET /api/1/events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var cur cursor
	switch {
	case q.Get("after_cursor") != "" || q.Get("before_cursor") != "":
		raw := q.Get("after_cursor")
		if raw == "" {
			raw = q.Get("before_cursor")
		}
		c, err := decodeCursor(raw)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "Invalid cursor")
			return
		}
		cur = c // the cursor's own filters win over any sent beside it
	default:
		f, msg := parseFilter(q)
		if msg != "" {
			s.fail(w, http.StatusBadRequest, msg)
			return
		}
		cur.F = f
	}
	f := cur.F

	people := s.World().People()
	from, to := time.Time{}, s.World().Now().Add(time.Second)
	if f.Since != nil {
		from = time.Unix(*f.Since+1, 0)
	}
	if f.Until != nil {
		to = time.Unix(*f.Until, 0)
	}
	var list []simkit.Activity
	for _, a := range s.World().Between(from, to) {
		if f.match(a, people[a.Person]) {
			list = append(list, a)
		}
	}
	if !f.Asc {
		slices.Reverse(list)
	}

	var page []simkit.Activity
	var more, prev bool
	switch {
	case cur.After != 0:
		i := sort.Search(len(list), func(i int) bool { return f.precedes(cur.After, EventID(list[i])) })
		page, more, prev = list[i:min(len(list), i+f.Limit)], len(list)-i > f.Limit, i > 0
	case cur.Before != 0:
		j := sort.Search(len(list), func(i int) bool { return !f.precedes(EventID(list[i]), cur.Before) })
		page, more, prev = list[max(0, j-f.Limit):j], j < len(list), j > f.Limit
	default:
		page, more = list[:min(len(list), f.Limit)], len(list) > f.Limit
	}

	opts := s.options()
	pag := map[string]any{"before_cursor": nil, "after_cursor": nil, "previous_link": nil, "next_link": nil}
	if len(page) > 0 && more {
		c := cursor{F: f, After: EventID(page[len(page)-1])}.encode()
		pag["after_cursor"], pag["next_link"] = c, s.link(r, opts, "after_cursor", c)
	}
	if len(page) > 0 && prev {
		c := cursor{F: f, Before: EventID(page[0])}.encode()
		pag["before_cursor"], pag["previous_link"] = c, s.link(r, opts, "before_cursor", c)
	}
	data := make([]map[string]any, 0, len(page))
	for _, a := range page {
		data = append(data, project(s.render(a, people[a.Person], opts), f.Fields))
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"status": success, "pagination": pag, "data": data})
}

// link is an absolute URL on the host the request came to, carrying only
// the cursor, as in the documented sample.
func (s *Server) link(r *http.Request, opts Options, param, cur string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: opts.BasePath + "/api/1/events", RawQuery: param + "=" + url.QueryEscape(cur)}
	return u.String()
}

// project keeps the requested fields; id is always returned.
func project(ev map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return ev
	}
	out := map[string]any{"id": ev["id"]}
	for _, f := range fields {
		if v, ok := ev[f]; ok {
			out[f] = v
		}
	}
	return out
}

// render is activity a as a Get Events resource, every field of the
// documented sample present.
func (s *Server) render(a simkit.Activity, p simkit.Person, opts Options) map[string]any {
	t := s.Faults().Text
	name := p.Name()
	if name == "" {
		name = p.Email // OneLogin shows the email when first and last name are empty
	}
	ev := map[string]any{
		"id": EventID(a), "created_at": a.Time.UTC().Format(timeFormat), "account_id": opts.AccountID,
		"user_id": p.OneLoginID, "event_type_id": EventTypeID(a.Kind), "notes": nil, "ipaddr": t(a.IP.String()),
		"actor_user_id": p.OneLoginID, "assuming_acting_user_id": nil, "role_id": nil, "app_id": nil,
		"group_id": nil, "otp_device_id": nil, "policy_id": nil, "actor_system": "", "custom_message": nil,
		"role_name": nil, "app_name": nil, "group_name": nil, "actor_user_name": t(name), "user_name": t(name),
		"policy_name": nil, "otp_device_name": nil, "operation_name": nil, "directory_sync_run_id": nil,
		"directory_id": nil, "resolution": nil, "client_id": nil, "resource_type_id": nil,
		"error_description": nil, "proxy_ip": nil, "risk_score": nil, "risk_reasons": nil,
		"risk_cookie_id": nil, "browser_fingerprint": t(a.Device),
	}
	switch a.Kind {
	case simkit.KindLogin:
		ev["notes"] = t("Authentication method: password.")
		ev["risk_cookie_id"] = t(cookieID(a.Device))
		if a.Score >= 0 {
			ev["risk_score"] = a.Score
		}
		if len(a.Reasons) > 0 {
			ev["risk_reasons"] = t(strings.Join(a.Reasons, "\n"))
		}
	case simkit.KindFailedLogin:
		ev["notes"] = t("Authentication method: password.")
		ev["error_description"] = t("Invalid username or password.")
	case simkit.KindAppLogin:
		ev["app_id"] = appID(a.App)
		ev["app_name"] = t(a.App)
	case simkit.KindUserLocked:
		ev["actor_user_id"], ev["actor_user_name"] = nil, ""
		ev["actor_system"] = t("OneLogin")
		ev["custom_message"] = t("Locked after too many failed login attempts.")
	case simkit.KindOTPRegistered:
		ev["otp_device_id"] = 7_000_000 + p.OneLoginID%1_000_000
		ev["otp_device_name"] = t("OneLogin Protect")
	}
	return ev
}

func appID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 100_000 + int64(h.Sum32()%900_000)
}

func cookieID(device string) string {
	h := fnv.New64a()
	h.Write([]byte("cookie:" + device))
	x := h.Sum64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x", uint32(x), uint16(x>>32), uint16(x>>48), uint16(x>>8))
}

// EventType is one entry of the catalogue.
type EventType struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// EventTypes is the catalogue the simulator serves: the ids in vendors.md
// §1.5 with API-style names. Id 9 is left out: its meaning is unconfirmed
// and it is absent from the enum, so clients meet an unknown id.
func EventTypes() []EventType {
	return []EventType{
		{1, "APP_ADDED_TO_ROLE", "%app_name% added to role %role_name%"},
		{2, "APP_REMOVED_FROM_ROLE", "%app_name% removed from role %role_name%"},
		{3, "USER_ASSUMED_USER", "%actor_user_name% assumed the user %user_name%"},
		{4, "USER_ASSIGNED_ROLE", "%user_name% assigned role %role_name%"},
		{5, "USER_LOGGED_INTO_ONELOGIN", "%user_name% logged into OneLogin"},
		{6, "USER_FAILED_ONELOGIN_LOGIN", "%user_name% failed authentication"},
		{7, "USER_LOGGED_OUT_OF_ONELOGIN", "%user_name% logged out of OneLogin"},
		{8, "USER_LOGGED_INTO_APP", "%user_name% logged into %app_name%"},
		{10, "USER_REQUESTED_NEW_PASSWORD", "%user_name% requested a new password"},
		{11, "USER_CHANGED_PASSWORD", "%user_name% changed their password"},
		{12, "UNLOCKED_USER", "%actor_user_name% unlocked %user_name%"},
		{13, "CREATED_USER", "%actor_user_name% created user %user_name%"},
		{14, "UPDATED_USER", "%actor_user_name% updated user %user_name%"},
		{15, "DEACTIVATED_USER", "%actor_user_name% deactivated user %user_name%"},
		{16, "ACTIVATED_USER", "%actor_user_name% activated user %user_name%"},
		{17, "DELETED_USER", "%actor_user_name% deleted user %user_name%"},
		{18, "ADMIN_APPROVED_PASSWORD_REQUEST", "%actor_user_name% approved the password request of %user_name%"},
		{19, "USER_LOCKED", "%user_name% locked"},
		{21, "SUSPENDED_USER", "%actor_user_name% suspended user %user_name%"},
		{22, "USER_REGISTERED_OTP_DEVICE", "%user_name% registered OTP device %otp_device_name%"},
		{24, "USER_REMOVED_OTP_DEVICE", "%user_name% removed OTP device %otp_device_name%"},
		{35, "USER_LOCKED_OUT_OF_APP", "%user_name% locked out of %app_name%"},
		{36, "USER_LOST_OTP_DEVICE", "%user_name% reported OTP device %otp_device_name% lost"},
		{40, "USER_OTP_DEVICE_UNLOCKED", "OTP device %otp_device_name% of %user_name% unlocked"},
		{68, "USER_AUTHENTICATED_BY_RADIUS", "%user_name% authenticated by RADIUS"},
		{69, "USER_REJECTED_BY_RADIUS", "%user_name% rejected by RADIUS"},
		{77, "APP_LOGIN_VIA_ASSERTION_PROXY_FAILED", "%user_name% failed to log into %app_name% via assertion proxy"},
		{78, "APP_LOGIN_VIA_ASSERTION_PROXY_SUCCEEDED", "%user_name% logged into %app_name% via assertion proxy"},
		{85, "USER_COULD_NOT_AUTHENTICATE_TO_APP", "%user_name% could not authenticate to %app_name%"},
		{86, "USER_FAILED_REMOTE_AUTHENTICATION", "%user_name% failed remote authentication"},
		{122, "USER_AUTHENTICATED_VIA_API", "%user_name% authenticated via API"},
		{123, "USER_AUTHENTICATION_VIA_API_FAILED", "%user_name% failed authentication via API"},
		{140, "SOCIAL_SIGN_IN_SUCCEEDED", "%user_name% signed in with a social identity"},
		{141, "SOCIAL_SIGN_IN_FAILED", "%user_name% failed to sign in with a social identity"},
		{153, "MAC_LOGIN_SUCCEEDED", "%user_name% logged into a Mac"},
		{154, "MAC_LOGIN_FAILED", "%user_name% failed to log into a Mac"},
		{179, "API_CREDENTIAL_CREATED", "%actor_user_name% created an API credential"},
		{180, "API_CREDENTIAL_DELETED", "%actor_user_name% deleted an API credential"},
		{181, "API_CREDENTIAL_ENABLED", "%actor_user_name% enabled an API credential"},
		{182, "API_CREDENTIAL_DISABLED", "%actor_user_name% disabled an API credential"},
	}
}

// eventTypes serves GET /api/1/events/types in the v1 envelope.
func (s *Server) eventTypes(w http.ResponseWriter, r *http.Request) {
	types := EventTypes()
	for i := range types {
		types[i].Name = s.Faults().Text(types[i].Name)
		types[i].Description = s.Faults().Text(types[i].Description)
	}
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"status": success, "data": types})
}
