// Package casbsim simulates the Oracle CASB Cloud Service API: the token
// endpoint and the paged user risk report, built from the shared world so
// the people at risk here are the ones at risk at every other vendor.
package casbsim

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/risktop/risktop/sources/sim/simkit"
)

// Defaults for Options.
const (
	DefaultAccessKey    = "SIMCASBACCESSKEY0001"
	DefaultAccessSecret = "sim-casb-secret-k3y-do-not-use"
	DefaultTokenTTL     = time.Hour
	DefaultMaxPageSize  = 100
	DefaultWindow       = 7 * 24 * time.Hour
	DefaultMaxRecorded  = 10_000
)

// The report's fixed text, as in Oracle's sample.
const (
	reportID          = "userrisk"
	reportTitle       = "Users at risk"
	reportDescription = "User risk scores based on LORIC's analysis of suspicious activity patterns"
)

// Options configure the simulator. The zero value is a healthy tenant with
// the default credentials.
type Options struct {
	BasePath     string        // path prefix the handler is mounted at, e.g. "/casb"
	AccessKey    string        // default DefaultAccessKey
	AccessSecret string        // default DefaultAccessSecret
	TenantID     string        // default a UUID derived from the world's seed
	TokenTTL     time.Duration // default DefaultTokenTTL
	MaxPageSize  int           // largest pagesize accepted; default 100, as documented
	Window       time.Duration // activity that makes a row; default the last 7 days
	MaxRecorded  int           // requests kept for inspection; default DefaultMaxRecorded
	Gzip         bool          // report bodies sent gzipped as application/gzip
	Forbidden    bool          // 403: CASB APIs not enabled for the tenant
	Paging       Paging        // how pages continue; default PagingMarker
}

// Paging is how the simulated tenant pages the report. Oracle documents
// markerPosition only as "fetched from the response of the first request"
// (https://docs.oracle.com/en/cloud/paas/casb-cloud/palra/op-v1-reports-details-reportname-get.html)
// without naming the response field, and its sample has a single page, so
// the simulator can answer each way a tenant might.
type Paging int

const (
	// PagingMarker sends nextMarkerPosition, an opaque marker, on every
	// page but the last: the field the third-party OracleCasbCS client
	// reads (vendors.md [CA6]).
	PagingMarker Paging = iota
	// PagingOffset sends no nextMarkerPosition and reads markerPosition as
	// the number of rows to skip.
	PagingOffset
	// PagingIgnored sends no nextMarkerPosition and ignores markerPosition:
	// every request gets the first page again.
	PagingIgnored
)

// Server is one simulated CASB tenant.
type Server struct {
	*simkit.Server
	opts     Options
	requests *simkit.Log[Request]

	mu    sync.Mutex
	snaps []snapshot // recent reports, newest last
}

type snapshot struct {
	at   time.Time
	rows []Row
}

// Request is one request the simulator answered, for tests.
type Request struct {
	Method string
	Path   string // as sent, still escaped
	Query  url.Values
	Accept string
	Tenant string // X-Apprity-Tenant-Id as sent
	Bearer bool   // whether an Authorization: Bearer header came
	Status int
}

// New makes a simulator over w.
func New(w *simkit.World, opts Options) *Server {
	simkit.Default(&opts.AccessKey, DefaultAccessKey)
	simkit.Default(&opts.AccessSecret, DefaultAccessSecret)
	if opts.TenantID == "" {
		opts.TenantID = uuidFrom(w.Seed(), "tenant")
	}
	simkit.Default(&opts.TokenTTL, DefaultTokenTTL)
	simkit.Default(&opts.MaxPageSize, DefaultMaxPageSize)
	simkit.Default(&opts.Window, DefaultWindow)
	simkit.Default(&opts.MaxRecorded, DefaultMaxRecorded)
	opts.BasePath = strings.TrimRight(opts.BasePath, "/")
	s := &Server{opts: opts, requests: simkit.NewLog[Request](opts.MaxRecorded)}
	// Its routes: BasePath+"/api/v1/token" and
	// BasePath+"/api/v1/reports/details/{reportName}".
	s.Server = simkit.NewServer(w, simkit.ServerConfig{
		Vendor: "casb", TokenPrefix: "v2.", ErrorBody: s.writeError,
		Routes: http.HandlerFunc(s.serve), Served: s.record,
	})
	return s
}

// TenantID is the tenant every token belongs to.
func (s *Server) TenantID() string { return s.opts.TenantID }

// Requests returns a copy of the requests answered so far (the newest
// MaxRecorded), faults injected in front of the handler excluded.
func (s *Server) Requests() []Request { return s.requests.Items() }

// Rows returns the report as of the clock's now, unfiltered, in page order,
// and without the hostile knob applied: what a client should read.
func (s *Server) Rows() []Row {
	rows := append([]Row(nil), s.rowsAt(s.World().Now())...)
	for i := range rows {
		rows[i].Reasons = append([]Reason(nil), rows[i].Reasons...) // the cache stays the server's
	}
	return rows
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), s.opts.BasePath)
	const reports = "/api/v1/reports/details/"
	switch {
	case !ok:
		s.writeError(w, http.StatusNotFound, "Resource not found")
	case rest == "/api/v1/token":
		if r.Method != http.MethodPost {
			s.writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		s.token(w, r)
	case strings.HasPrefix(rest, reports):
		if r.Method != http.MethodGet {
			s.writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		s.report(w, r, strings.TrimPrefix(rest, reports))
	default:
		s.writeError(w, http.StatusNotFound, "Resource not found")
	}
}

func (s *Server) record(r *http.Request, status int) {
	s.requests.Add(Request{
		Method: r.Method,
		Path:   r.URL.EscapedPath(),
		Query:  r.URL.Query(),
		Accept: r.Header.Get("Accept"),
		Tenant: r.Header.Get("X-Apprity-Tenant-Id"),
		Bearer: strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "),
		Status: status,
	})
}

// token answers 201 with {accessToken, expiresAt, tenantId}. A body that is
// not the documented JSON gets 400 in the token endpoint's generic Response
// schema {entity, metadata, status}.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AccessKey    string `json:"accessKey"`
		AccessSecret string `json:"accessSecret"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil ||
		body.AccessKey == "" || body.AccessSecret == "" {
		simkit.WriteJSON(w, http.StatusBadRequest, map[string]any{
			"entity":   s.Faults().Text("Request body must be JSON with accessKey and accessSecret"),
			"metadata": map[string]any{},
			"status":   http.StatusBadRequest,
		})
		return
	}
	if body.AccessKey != s.opts.AccessKey || body.AccessSecret != s.opts.AccessSecret {
		s.writeError(w, http.StatusUnauthorized, "Invalid access key or access secret")
		return
	}
	tok, exp := s.Tokens().Issue(s.opts.TokenTTL)
	simkit.WriteJSON(w, http.StatusCreated, map[string]string{
		"accessToken": tok,
		"expiresAt":   exp.UTC().Format("2006-01-02T15:04:05.000Z"),
		"tenantId":    s.opts.TenantID,
	})
}

// report serves the user risk report. Auth comes first: a missing, expired
// or revoked token is 401, and so is a missing or wrong
// X-Apprity-Tenant-Id (the docs do not say which status; 401 keeps 403 for
// its documented meaning, APIs not enabled).
func (s *Server) report(w http.ResponseWriter, r *http.Request, escapedName string) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !s.Tokens().Valid(tok) {
		s.writeError(w, http.StatusUnauthorized, "Unauthorized: the access token is missing, expired or revoked")
		return
	}
	if r.Header.Get("X-Apprity-Tenant-Id") != s.opts.TenantID {
		s.writeError(w, http.StatusUnauthorized, "Unauthorized: X-Apprity-Tenant-Id is missing or does not match the token")
		return
	}
	if s.opts.Forbidden {
		s.writeError(w, http.StatusForbidden, "Retrieving all user risk score events is forbidden: CASB APIs are not enabled for this tenant")
		return
	}
	name, err := url.PathUnescape(escapedName)
	if err != nil || strings.Contains(name, "/") || !strings.EqualFold(name, reportID) {
		s.writeError(w, http.StatusNotFound, "Requested report is not present")
		return
	}
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("pagesize"))
	switch {
	case q.Get("pagesize") == "":
		s.writeError(w, http.StatusBadRequest, "pagesize is required")
		return
	case err != nil || size < 1:
		s.writeError(w, http.StatusBadRequest, "pagesize must be a positive number")
		return
	case size > s.opts.MaxPageSize:
		s.writeError(w, http.StatusBadRequest, fmt.Sprintf("pagesize must be at most %d", s.opts.MaxPageSize))
		return
	}
	snap, offset := s.World().Now(), 0
	if m := q.Get("markerPosition"); m != "" {
		var ok bool
		switch s.opts.Paging {
		case PagingMarker:
			var at time.Time
			at, offset, ok = decodeMarker(m)
			if ok {
				snap = at
			}
		case PagingOffset:
			n, err := strconv.Atoi(m)
			offset, ok = n, err == nil && n >= 0
		case PagingIgnored:
			ok = true
		}
		if !ok {
			s.writeError(w, http.StatusBadRequest, "markerPosition is not valid")
			return
		}
	}
	rows := s.rowsAt(snap)
	if inst := q.Get("applicationInstanceName"); inst != "" {
		if !hasInstance(rows, s.World(), inst) {
			s.writeError(w, http.StatusNotFound, "Requested Resource (application instance) is not present")
			return
		}
		rows = filter(rows, func(r Row) bool { return strings.EqualFold(r.AppInstance, inst) })
	}
	if typ := q.Get("applicationType"); typ != "" {
		rows = filter(rows, func(r Row) bool { return strings.EqualFold(r.AppType, typ) })
	}
	if user := q.Get("userName"); user != "" {
		rows = filter(rows, func(r Row) bool { return strings.EqualFold(r.UserName, user) })
	}
	offset = min(offset, len(rows))
	end := min(offset+size, len(rows))
	page := rows[offset:end]

	resp := wireReport{
		Type:           "ReportResponse",
		TenantName:     s.opts.TenantID,
		ReportID:       reportID,
		MaxCount:       size,
		TotalCount:     len(rows),
		Size:           len(page),
		Title:          s.Faults().Text(reportTitle),
		Description:    s.Faults().Text(reportDescription),
		UserRiskScores: make([]wireRow, 0, len(page)),
	}
	for _, row := range page {
		resp.UserRiskScores = append(resp.UserRiskScores, s.render(row))
	}
	if end < len(rows) && s.opts.Paging == PagingMarker {
		resp.NextMarker = encodeMarker(snap, end)
	}
	s.writeReport(w, resp)
}

func (s *Server) writeReport(w http.ResponseWriter, resp wireReport) {
	if !s.opts.Gzip {
		simkit.WriteJSON(w, http.StatusOK, resp)
		return
	}
	plain, err := json.Marshal(resp)
	if err != nil {
		s.writeError(w, http.StatusInternalServerError, "encoding failed")
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	w.Header().Set("Content-Type", "application/gzip")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// rowsAt returns the report as of at, from a small cache so that every page
// of one paging run reads the same snapshot.
func (s *Server) rowsAt(at time.Time) []Row {
	s.mu.Lock()
	for _, sn := range s.snaps {
		if sn.at.Equal(at) {
			s.mu.Unlock()
			return sn.rows
		}
	}
	s.mu.Unlock()
	// Built outside our lock: the World has its own, and a duplicate
	// build by a concurrent request gives the same rows.
	rows := buildRows(s.World(), s.World().Seed(), at, s.opts.Window)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.snaps) >= 4 {
		s.snaps = append(s.snaps[:0], s.snaps[1:]...)
	}
	s.snaps = append(s.snaps, snapshot{at: at, rows: rows})
	return rows
}

// hasInstance reports whether the tenant has an application instance of
// that name, rows or not.
func hasInstance(rows []Row, w *simkit.World, name string) bool {
	for _, r := range rows {
		if strings.EqualFold(r.AppInstance, name) {
			return true
		}
	}
	for _, p := range w.People() {
		for _, app := range p.Apps {
			if strings.EqualFold(instanceName(app), name) {
				return true
			}
		}
	}
	return false
}

func filter(rows []Row, keep func(Row) bool) []Row {
	var out []Row
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Markers are opaque to clients, as CASB's are. Ours carry the snapshot
// time, so later pages read the same report, and the offset.
func encodeMarker(at time.Time, offset int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", at.UnixNano(), offset))
}

func decodeMarker(m string) (time.Time, int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return time.Time{}, 0, false
	}
	at, off, ok := strings.Cut(string(b), ":")
	if !ok {
		return time.Time{}, 0, false
	}
	ns, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.Atoi(off)
	if err1 != nil || err2 != nil || n < 0 {
		return time.Time{}, 0, false
	}
	return time.Unix(0, ns), n, true
}

// wireReport is the ReportResponse, in the sample's field order.
type wireReport struct {
	Type           string    `json:"type"`
	TenantName     string    `json:"tenantName"`
	ReportID       string    `json:"reportId"`
	MaxCount       int       `json:"maxCount"`
	TotalCount     int       `json:"totalCount"`
	Size           int       `json:"size"`
	Title          string    `json:"title"`
	Description    string    `json:"description"`
	NextMarker     string    `json:"nextMarkerPosition,omitempty"`
	UserRiskScores []wireRow `json:"userRiskScores"`
}

type wireRow struct {
	AppName         string       `json:"appname"`
	AppInstance     string       `json:"appinstance"`
	AppInstanceID   string       `json:"appInstanceId"`
	UserRiskDetails []wireDetail `json:"userRiskDetails"`
}

type wireDetail struct {
	DisplayName string `json:"displayname"`
	Value       string `json:"value"`
}

// render turns a row into CASB's list of {displayname, value} strings, with
// Reasons and the two maps as JSON inside strings, as the sample has them.
func (s *Server) render(r Row) wireRow {
	codes := map[string]string{}
	avg, counts := map[string]string{}, map[string]string{}
	for _, reason := range r.Reasons {
		codes[reason.Code] = s.Faults().Text(reasonText[reason.Code])
		if reason.Code == CodeNoRisk {
			continue
		}
		avg[reason.Code] = strconv.FormatFloat(reason.Average, 'f', -1, 64)
		counts[reason.Code] = strconv.Itoa(reason.Count)
	}
	stamp := r.Last.UTC().Format(time.RFC3339)
	reasons, _ := json.Marshal([]any{r.AppInstanceID, stamp, codes})
	avgJSON, _ := json.Marshal(avg)
	countsJSON, _ := json.Marshal(counts)
	day := r.Last.UTC().Truncate(24 * time.Hour).Format(time.RFC3339)
	return wireRow{
		AppName:       s.Faults().Text(r.AppType),
		AppInstance:   s.Faults().Text(r.AppInstance),
		AppInstanceID: r.AppInstanceID,
		UserRiskDetails: []wireDetail{
			{"Risk Level", s.Faults().Text(r.Level)},
			{"User name", s.Faults().Text(r.UserName)},
			{"Maximum Risk Score", fmt.Sprintf("%02d", r.Score)},
			{"Reasons", string(reasons)},
			{"Detected Date", day},
			{"ReasonsAverage", string(avgJSON)},
			{"ReasonsCounts", string(countsJSON)},
			{"Detected Date ISOFormat", day},
		},
	}
}

// writeError writes the Error body. Oracle documents the schema without its
// fields; {"code", "message"} is our invention, which the client must read
// without relying on it.
func (s *Server) writeError(w http.ResponseWriter, status int, message string) {
	simkit.WriteJSON(w, status, map[string]any{
		"code":    strconv.Itoa(status),
		"message": s.Faults().Text(message),
	})
}
