package casb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/risktop/risktop/sources/sanitize"
)

// ReportMeta is what a report response says about itself.
type ReportMeta struct {
	Type        string // "ReportResponse"
	TenantName  string
	ReportID    string // "userrisk"
	Title       string
	Description string
	TotalCount  int // rows in the whole report; -1 when the response did not say
}

// Page is one response of the user risk report.
type Page struct {
	ReportMeta
	MaxCount   int    // the page cap the server applied; -1 when not sent
	Size       int    // rows in this page as the server counts them; -1 when not sent
	Marker     string `sanitize:"-"` // the markerPosition this page was asked for ("" for the first)
	NextMarker string `sanitize:"-"` // nextMarkerPosition; "" on the last page
	Rows       []UserRisk
}

// UserRisk is one userRiskScores entry: one user on one application instance.
type UserRisk struct {
	AppName       string // application type, e.g. "SFDC"
	AppInstance   string
	AppInstanceID string

	RiskLevel      string // as given; "Normal" is the only value the docs show
	UserName       string // as given: case is not normalised here
	MaxRiskScore   int
	Reasons        Reasons
	ReasonsAverage map[string]float64 // reason code → average, where the value parses
	ReasonsCounts  map[string]int     // reason code → count, where the value parses
	DetectedDate   time.Time          // "Detected Date ISOFormat", else "Detected Date"

	// Extra keeps every detail whose displayname this client does not know,
	// so a new field from the vendor is visible rather than lost.
	Extra map[string]string
	// Problems lists what was malformed in this row. The fields that did
	// decode are still set.
	Problems []string
}

// Reasons is the "Reasons" detail: a JSON array inside a string,
// [appInstanceId, timestamp, {CODE: text}].
type Reasons struct {
	AppInstanceID string
	Timestamp     time.Time
	Codes         map[string]string
}

// RowError is a malformed userRiskScores entry.
type RowError struct {
	UserName string
	Problems []string
}

func (e *RowError) Error() string {
	who := e.UserName
	if who == "" {
		who = "unknown user"
	}
	return fmt.Sprintf("casb: user risk row for %s is malformed: %s", who, strings.Join(e.Problems, "; "))
}

// Err is a *RowError when the row had problems, nil otherwise.
func (u *UserRisk) Err() error {
	if len(u.Problems) == 0 {
		return nil
	}
	return &RowError{UserName: u.UserName, Problems: u.Problems}
}

// The displaynames of the seed page, matched without regard to case or
// surrounding spaces.
const (
	keyRiskLevel      = "risk level"
	keyUserName       = "user name"
	keyMaxScore       = "maximum risk score"
	keyReasons        = "reasons"
	keyDetected       = "detected date"
	keyDetectedISO    = "detected date isoformat"
	keyReasonsAverage = "reasonsaverage"
	keyReasonsCounts  = "reasonscounts"
)

// maxMarker bounds an opaque cursor we are willing to send back.
const maxMarker = 4096

// decodePage decodes one report response. Only a body that is not a report
// at all is an error; a malformed row is reported on that row. Every string
// in the result has been sanitized.
func decodePage(body []byte) (*Page, error) {
	var w struct {
		Type        flexString        `json:"type"`
		TenantName  flexString        `json:"tenantName"`
		ReportID    flexString        `json:"reportId"`
		MaxCount    flexInt           `json:"maxCount"`
		TotalCount  flexInt           `json:"totalCount"`
		Size        flexInt           `json:"size"`
		Title       flexString        `json:"title"`
		Description flexString        `json:"description"`
		NextMarker  flexString        `json:"nextMarkerPosition"`
		Rows        []json.RawMessage `json:"userRiskScores"`
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("response is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return nil, describeJSONError(err, len(trimmed))
	}
	next := strings.TrimSpace(w.NextMarker.s)
	if len(next) > maxMarker || !sanitize.Valid(next) {
		return nil, errors.New("nextMarkerPosition is not a usable cursor (too long or has control characters)")
	}
	p := &Page{
		ReportMeta: ReportMeta{
			Type:        w.Type.s,
			TenantName:  w.TenantName.s,
			ReportID:    w.ReportID.s,
			Title:       w.Title.s,
			Description: w.Description.s,
			TotalCount:  w.TotalCount.orUnknown(),
		},
		MaxCount:   w.MaxCount.orUnknown(),
		Size:       w.Size.orUnknown(),
		NextMarker: next,
		Rows:       make([]UserRisk, 0, len(w.Rows)),
	}
	for i, raw := range w.Rows {
		p.Rows = append(p.Rows, decodeRow(i, raw))
	}
	sanitize.Struct(p)
	return p, nil
}

func decodeRow(index int, raw json.RawMessage) (u UserRisk) {
	defer func() {
		// Belt and braces: a decoding bug must cost one row, not the poller.
		if r := recover(); r != nil {
			u = UserRisk{Problems: []string{fmt.Sprintf("row %d could not be decoded (internal error: %v)", index, r)}}
		}
	}()
	var w struct {
		AppName       flexString        `json:"appname"`
		AppInstance   flexString        `json:"appinstance"`
		AppInstanceID flexString        `json:"appInstanceId"`
		Details       []json.RawMessage `json:"userRiskDetails"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		u.problem("row %d is not a userRiskScores object: %v", index, describeJSONError(err, len(raw)))
		return u
	}
	u.AppName, u.AppInstance, u.AppInstanceID = w.AppName.s, w.AppInstance.s, w.AppInstanceID.s
	if len(w.Details) == 0 {
		u.problem("no userRiskDetails")
		return u
	}

	seen := map[string]bool{}
	values := map[string]string{}
	for i, rawDetail := range w.Details {
		var d struct {
			Name  flexString      `json:"displayname"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(rawDetail, &d); err != nil {
			u.problem("detail %d is not a {displayname, value} object", i)
			continue
		}
		value, ok := detailValue(d.Value)
		if !ok {
			u.problem("detail %q has a value that is not a string", short(d.Name.s))
		}
		name := strings.TrimSpace(d.Name.s)
		if name == "" {
			u.problem("detail %d has no displayname", i)
			u.extra(fmt.Sprintf("(detail %d)", i), value)
			continue
		}
		key := strings.ToLower(name)
		if !isKnown(key) {
			u.extra(name, value)
			continue
		}
		if seen[key] {
			u.problem("detail %q appears more than once", name)
			u.extra(fmt.Sprintf("%s (detail %d)", name, i), value)
			continue
		}
		seen[key] = true
		values[key] = value
	}

	if v, ok := values[keyRiskLevel]; ok && strings.TrimSpace(v) != "" {
		u.RiskLevel = strings.TrimSpace(v)
	} else {
		u.problem("no Risk Level")
	}
	if v, ok := values[keyUserName]; ok && strings.TrimSpace(v) != "" {
		u.UserName = strings.TrimSpace(v)
	} else {
		u.problem("no User name")
	}
	if v, ok := values[keyMaxScore]; ok {
		u.MaxRiskScore = u.parseScore(v)
	} else {
		u.problem("no Maximum Risk Score")
	}
	if v, ok := values[keyReasons]; ok && strings.TrimSpace(v) != "" {
		u.Reasons = u.parseReasons(v)
	}
	if v, ok := values[keyReasonsAverage]; ok && strings.TrimSpace(v) != "" {
		u.ReasonsAverage = parseNumberMap(&u, "ReasonsAverage", v, func(f float64) (float64, bool) { return f, true })
	}
	if v, ok := values[keyReasonsCounts]; ok && strings.TrimSpace(v) != "" {
		u.ReasonsCounts = parseNumberMap(&u, "ReasonsCounts", v, func(f float64) (int, bool) {
			if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return 0, false
			}
			return int(f), true
		})
	}
	u.DetectedDate = u.parseDetected(values)
	return u
}

func isKnown(key string) bool {
	switch key {
	case keyRiskLevel, keyUserName, keyMaxScore, keyReasons, keyDetected, keyDetectedISO,
		keyReasonsAverage, keyReasonsCounts:
		return true
	}
	return false
}

func (u *UserRisk) problem(format string, args ...any) {
	u.Problems = append(u.Problems, fmt.Sprintf(format, args...))
}

func (u *UserRisk) extra(name, value string) {
	if u.Extra == nil {
		u.Extra = map[string]string{}
	}
	u.Extra[name] = value
}

// detailValue reads a value the docs say is always a string. Numbers and
// booleans are taken as their text, null as empty; anything else is kept as
// raw JSON text and reported.
func detailValue(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	switch raw[0] {
	case '{', '[':
		return string(raw), false
	}
	return string(raw), true
}

func (u *UserRisk) parseScore(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		u.problem("Maximum Risk Score %q is not a whole number", short(v))
		return 0
	}
	if n < 0 || n > 100 {
		u.problem("Maximum Risk Score %d is outside 0–100", n)
	}
	return n
}

// parseReasons decodes [appInstanceId, timestamp, {CODE: text}], keeping
// whatever parts are well formed.
func (u *UserRisk) parseReasons(v string) Reasons {
	var r Reasons
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(v), &parts); err != nil {
		u.problem("Reasons is not a JSON array: %s", short(v))
		return r
	}
	if len(parts) != 3 {
		u.problem("Reasons has %d elements, want 3 [appInstanceId, timestamp, {code: text}]", len(parts))
	}
	if len(parts) > 0 {
		var id string
		if json.Unmarshal(parts[0], &id) == nil {
			r.AppInstanceID = strings.TrimSpace(id)
		} else {
			u.problem("Reasons[0] (appInstanceId) is not a string")
		}
	}
	if len(parts) > 1 {
		var ts string
		if json.Unmarshal(parts[1], &ts) != nil {
			u.problem("Reasons[1] (timestamp) is not a string")
		} else if t, ok := parseTime(ts); ok {
			r.Timestamp = t
		} else {
			u.problem("Reasons[1] timestamp %q does not parse", short(ts))
		}
	}
	if len(parts) > 2 {
		var codes map[string]json.RawMessage
		if err := json.Unmarshal(parts[2], &codes); err != nil || codes == nil {
			u.problem("Reasons[2] is not a {code: text} object")
		} else {
			for code, raw := range codes {
				text, ok := detailValue(raw)
				if !ok {
					u.problem("reason %q has a text that is not a string", short(code))
				}
				if r.Codes == nil {
					r.Codes = map[string]string{}
				}
				r.Codes[code] = text
			}
		}
	}
	return r
}

// parseNumberMap decodes a {CODE: "n"} map inside a string. Entries that do
// not parse are left out and reported.
func parseNumberMap[T any](u *UserRisk, field, v string, conv func(float64) (T, bool)) map[string]T {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil || raw == nil {
		u.problem("%s is not a JSON object: %s", field, short(v))
		return nil
	}
	var out map[string]T
	for code, rv := range raw {
		text, _ := detailValue(rv)
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		var n T
		ok := err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
		if ok {
			n, ok = conv(f)
		}
		if !ok {
			u.problem("%s[%s] = %q is not a number", field, short(code), short(text))
			continue
		}
		if out == nil {
			out = map[string]T{}
		}
		out[code] = n
	}
	return out
}

func (u *UserRisk) parseDetected(values map[string]string) time.Time {
	var found time.Time
	for _, key := range []string{keyDetectedISO, keyDetected} {
		v, ok := values[key]
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		t, ok := parseTime(v)
		if !ok {
			name := "Detected Date"
			if key == keyDetectedISO {
				name = "Detected Date ISOFormat"
			}
			u.problem("%s %q does not parse", name, short(v))
			continue
		}
		if found.IsZero() {
			found = t
		}
	}
	return found
}

// timeLayouts are the forms a CASB date-time has been seen in or could
// plausibly take. A fractional second is accepted after the seconds of any
// of them; a value without a zone is UTC.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	time.RFC1123Z,
	time.RFC1123,
	time.UnixDate,
	"2006-01-02",
}

// parseTime reads a date-time in any of timeLayouts, or epoch seconds or
// milliseconds, and returns it in UTC.
func parseTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n > 1e11 && n < 1e14: // milliseconds
			return time.UnixMilli(n).UTC(), true
		case n > 1e8 && n <= 1e11: // seconds
			return time.Unix(n, 0).UTC(), true
		}
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// short cuts a value for a problem message.
func short(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// flexString takes a JSON string, number or boolean as text, and null as "".
type flexString struct{ s string }

func (f *flexString) UnmarshalJSON(b []byte) error {
	v, ok := detailValue(b)
	if !ok {
		return errors.New("want a string")
	}
	f.s = v
	return nil
}

// flexInt takes a JSON number or a numeric string; null or absent is unset.
type flexInt struct {
	n   int
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, ok := detailValue(b)
	if !ok {
		return errors.New("want a number")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x != math.Trunc(x) || x < 0 || x > 1<<31 {
		return fmt.Errorf("want a whole number, got %q", short(v))
	}
	f.n, f.set = int(x), true
	return nil
}

func (f flexInt) orUnknown() int {
	if !f.set {
		return -1
	}
	return f.n
}

func describeJSONError(err error, n int) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("it is a JSON %s", te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("field %q is a JSON %s", sanitize.LineN(te.Field, 80), te.Value)
	case errors.As(err, &se) && se.Offset >= int64(n):
		return errors.New("truncated JSON")
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	return errors.New(sanitize.LineN(err.Error(), 200))
}
