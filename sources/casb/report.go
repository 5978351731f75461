package casb

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/risktop/risktop/sources/httpx"
)

// Filter narrows the user risk report with the documented query parameters.
// Empty fields are not sent. Risk level is not a server-side filter: filter
// the rows instead.
type Filter struct {
	ApplicationInstanceName string
	ApplicationType         string // e.g. AWS, BOX, SFDC, O365, SLACK, SERVICENOW
	UserName                string
}

// Report is a whole user risk report, every page joined.
type Report struct {
	ReportMeta
	Rows  []UserRisk
	Pages int
}

// Malformed counts the rows that had problems.
func (r *Report) Malformed() int {
	n := 0
	for i := range r.Rows {
		if len(r.Rows[i].Problems) > 0 {
			n++
		}
	}
	return n
}

// maxPages stops a server that keeps handing out fresh markers without
// ever saying how many rows there are.
const maxPages = 10_000

// UserRiskReport fetches every page of the user risk report.
func (c *Client) UserRiskReport(ctx context.Context, f Filter) (*Report, error) {
	var r *Report
	for p, err := range c.UserRiskPages(ctx, f) {
		if err != nil {
			return nil, err
		}
		if r == nil {
			r = &Report{ReportMeta: p.ReportMeta}
		}
		r.Rows = append(r.Rows, p.Rows...)
		r.Pages++
	}
	if r == nil { // unreachable: the first page either comes or errors
		r = &Report{}
	}
	return r, nil
}

// UserRiskPages yields the report page by page, following
// nextMarkerPosition. It ends after the page without a next marker or the
// page that brings the rows to totalCount; a poller may stop earlier by
// breaking out of the loop. A marker seen twice, or an empty page that still
// points further, ends it with an error instead of looping.
func (c *Client) UserRiskPages(ctx context.Context, f Filter) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		marker := ""
		seen := map[string]bool{}
		rows := 0
		for n := 1; ; n++ {
			p, err := c.UserRiskPage(ctx, f, marker)
			if err != nil {
				yield(nil, err)
				return
			}
			rows += len(p.Rows)
			if !yield(p, nil) {
				return
			}
			next := p.NextMarker
			switch {
			case next == "":
				return
			case p.TotalCount >= 0 && rows >= p.TotalCount:
				return
			case len(p.Rows) == 0:
				yield(nil, c.pagingError(marker, fmt.Errorf("page %d has no rows but points to another (%d of %s rows read)",
					n, rows, totalText(p.TotalCount))))
				return
			case next == marker || seen[next]:
				yield(nil, c.pagingError(marker, fmt.Errorf("nextMarkerPosition repeats a marker already followed, after page %d (%d of %s rows read)",
					n, rows, totalText(p.TotalCount))))
				return
			case n >= maxPages:
				yield(nil, c.pagingError(marker, fmt.Errorf("gave up after %d pages", n)))
				return
			}
			seen[next] = true
			marker = next
		}
	}
}

func totalText(total int) string {
	if total < 0 {
		return "an unknown number of"
	}
	return strconv.Itoa(total)
}

func (c *Client) pagingError(marker string, err error) error {
	return &httpx.Error{Vendor: vendorName, Op: "GET " + c.reportPath(), Kind: httpx.KindDecode, Err: err}
}

func (c *Client) reportPath() string {
	return "/api/v1/reports/details/" + url.PathEscape(c.cfg.Report)
}

// UserRiskPage fetches one page: the first when marker is "", else the one
// a previous page's NextMarker points to.
func (c *Client) UserRiskPage(ctx context.Context, f Filter, marker string) (*Page, error) {
	q := url.Values{"pagesize": {strconv.Itoa(c.cfg.PageSize)}}
	if marker != "" {
		q.Set("markerPosition", marker)
	}
	for k, v := range map[string]string{
		"applicationInstanceName": f.ApplicationInstanceName,
		"applicationType":         f.ApplicationType,
		"userName":                f.UserName,
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	path := c.reportPath()
	op := "GET " + path
	resp, err := c.http.Do(ctx, httpx.Request{
		Method: http.MethodGet, Path: path, Query: q, Op: op,
		Header: http.Header{"Accept": {"application/json"}},
	})
	if err != nil {
		return nil, err
	}
	p, err := decodePage(resp.Body)
	if err != nil {
		return nil, &httpx.Error{Vendor: vendorName, Op: op, Kind: httpx.KindDecode,
			Err: fmt.Errorf("user risk report: %w (%d bytes)", err, len(resp.Body))}
	}
	p.Marker = marker
	return p, nil
}
