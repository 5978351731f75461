package casb

import (
	"context"
	"crypto/sha256"
	"encoding/json"
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
	// Stopped says why paging by offset ended before totalCount (a short,
	// empty or repeated page); "" when the report was read to its end.
	Stopped string
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

// UserRiskReport fetches every page of the user risk report. When paging
// by offset ends early (a short, empty or repeated page before totalCount),
// the rows read are kept and Report.Stopped says why.
func (c *Client) UserRiskReport(ctx context.Context, f Filter) (*Report, error) {
	var r *Report
	var stopped string
	for p, err := range c.userRiskPages(ctx, f, &stopped) {
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
	r.Stopped = stopped
	return r, nil
}

// UserRiskPages yields the report page by page.
//
// Oracle's reference names only the request side of paging: markerPosition
// "should be fetched from the response of the first request and used in
// subsequent requests"; it does not name the response field
// (https://docs.oracle.com/en/cloud/paas/casb-cloud/palra/op-v1-reports-details-reportname-get.html),
// and its sample response (shared/seeds/oracle-casb-user-risk-report.txt)
// has none, as all six rows fit one page. nextMarkerPosition is known only
// from one third-party client (the Apache-2.0 "OracleCasbCS" Python client,
// vendors.md [CA6]). So:
//
//   - a page with nextMarkerPosition is followed by that marker, as that
//     client does; a marker seen twice, or an empty page that still points
//     further, ends it with an error instead of looping;
//   - a page without it, when totalCount says more rows exist, is followed
//     by offset: markerPosition = the rows read so far. This is our reading,
//     not documented; it stops (without error, the rows read are kept) on a
//     short page (fewer rows than asked for), an empty page, or a page that
//     repeats one already read (a server that ignores the offset), so it can
//     neither loop nor store a row twice;
//   - it ends after the page that brings the rows to totalCount, or the
//     page without a marker when totalCount is not sent.
//
// A poller may stop earlier by breaking out of the loop.
func (c *Client) UserRiskPages(ctx context.Context, f Filter) iter.Seq2[*Page, error] {
	return c.userRiskPages(ctx, f, nil)
}

// userRiskPages is UserRiskPages; when offset paging ends before totalCount
// it says why in *stopped.
func (c *Client) userRiskPages(ctx context.Context, f Filter, stopped *string) iter.Seq2[*Page, error] {
	stop := func(format string, args ...any) {
		if stopped != nil {
			*stopped = fmt.Sprintf(format, args...)
		}
	}
	return func(yield func(*Page, error) bool) {
		marker := ""
		seen := map[string]bool{}
		read := map[[sha256.Size]byte]int{} // offset paging: each page's rows, to spot a repeat
		rows := 0
		byOffset := false // the marker sent is our offset, not the server's
		for n := 1; ; n++ {
			p, err := c.UserRiskPage(ctx, f, marker)
			if err != nil {
				yield(nil, err)
				return
			}
			if len(p.Rows) > 0 {
				sum := pageSum(p)
				first, ok := read[sum]
				if ok && byOffset {
					stop("page %d repeated page %d when asked for offset %d (%d of %s rows read): the server seems to ignore markerPosition",
						n, first, rows, rows, totalText(p.TotalCount))
					return
				}
				if !ok {
					read[sum] = n
				}
			}
			rows += len(p.Rows)
			if !yield(p, nil) {
				return
			}
			next := p.NextMarker
			switch {
			case next == "" && (p.TotalCount < 0 || rows >= p.TotalCount):
				return
			case p.TotalCount >= 0 && rows >= p.TotalCount:
				return
			case next == "" && len(p.Rows) == 0:
				stop("page %d was empty with %d of %d rows read", n, rows, p.TotalCount)
				return
			case next == "" && len(p.Rows) < c.pageCap(p):
				stop("page %d was short (%d rows of %d asked for) with %d of %d rows read",
					n, len(p.Rows), c.pageCap(p), rows, p.TotalCount)
				return
			case next == "":
				next, byOffset = strconv.Itoa(rows), true
			case len(p.Rows) == 0:
				yield(nil, c.pagingError(marker, fmt.Errorf("page %d has no rows but points to another (%d of %s rows read)",
					n, rows, totalText(p.TotalCount))))
				return
			case next == marker || seen[next]:
				yield(nil, c.pagingError(marker, fmt.Errorf("nextMarkerPosition repeats a marker already followed, after page %d (%d of %s rows read)",
					n, rows, totalText(p.TotalCount))))
				return
			default:
				seen[next], byOffset = true, false
			}
			if n >= maxPages {
				yield(nil, c.pagingError(marker, fmt.Errorf("gave up after %d pages", n)))
				return
			}
			marker = next
		}
	}
}

// pageCap is how many rows a full page has: what we asked for, or less
// when the server says it capped the page lower (maxCount).
func (c *Client) pageCap(p *Page) int {
	if p.MaxCount > 0 && p.MaxCount < c.cfg.PageSize {
		return p.MaxCount
	}
	return c.cfg.PageSize
}

// pageSum identifies a page by its decoded rows.
func pageSum(p *Page) [sha256.Size]byte {
	b, _ := json.Marshal(p.Rows)
	return sha256.Sum256(b)
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
