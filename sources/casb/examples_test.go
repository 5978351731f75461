package casb

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/risktop/risktop/sources/httpx/httpxtest"
)

// Every response body in Oracle CASB's reference, served over loopback at
// its recorded request to the real client: it decodes and gives the
// documented values.
func TestDecodesEveryDocumentedExample(t *testing.T) {
	const dir = "testdata/examples"
	ctx := context.Background()
	cases := map[string]func(t *testing.T, c *Client){
		"user-risk-report": func(t *testing.T, c *Client) {
			r, err := c.UserRiskReport(ctx, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Pages != 1 || len(r.Rows) != 6 || r.Malformed() != 0 || r.Stopped != "" {
				t.Fatalf("%d pages, %d rows, %d malformed, stopped %q; want the 6 printed rows on one page",
					r.Pages, len(r.Rows), r.Malformed(), r.Stopped)
			}
			if r.TenantName != "e6d29a75-cdaf-4dfa-b35d-90c77899eb10" || r.ReportID != "userrisk" || r.TotalCount != 6 {
				t.Errorf("meta %+v", r.ReportMeta)
			}
			first, last := r.Rows[0], r.Rows[5]
			if first.UserName != "andylemarc@mycompany.com" || first.AppName != "SFDC" || first.RiskLevel != "Normal" ||
				first.MaxRiskScore != 0 || first.AppInstanceID != "bd4716ef-d9b3-4348-8793-347134edce7a" {
				t.Errorf("first row %+v", first)
			}
			if last.UserName != "leiamacintosh@mycompany.com" || last.ReasonsCounts["NETWRK_PREFIX_EVENTS"] != 3 ||
				last.ReasonsAverage["NETWRK_PREFIX_EVENTS"] != 1 ||
				last.Reasons.Codes["NETWRK_PREFIX_EVENTS"] != "Total IP network prefix for all events" {
				t.Errorf("last row %+v", last)
			}
			if want := time.Date(2017, 10, 24, 0, 0, 0, 0, time.UTC); !last.DetectedDate.Equal(want) {
				t.Errorf("detected %v, want %v", last.DetectedDate, want)
			}
		},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s: %v", dir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			check, ok := cases[name]
			if !ok {
				t.Fatalf("%s has no case in this table: say what it should decode to", name)
			}
			ex := httpxtest.LoadExample(t, dir, name)
			var served atomic.Int32
			c := newFake(t, &fake{report: func(w http.ResponseWriter, r *http.Request, _ int) {
				if r.Method != ex.Method || r.URL.Path != ex.Path {
					t.Errorf("the client asked %s %s, the example answers %s %s", r.Method, r.URL.Path, ex.Method, ex.Path)
					w.WriteHeader(http.StatusNotFound)
					return
				}
				served.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(ex.Status)
				w.Write(ex.Body)
			}}, nil)
			check(t, c)
			if served.Load() == 0 {
				t.Errorf("the client never asked for %s %s", ex.Method, ex.Path)
			}
		})
		delete(cases, name)
	}
	for name := range cases {
		t.Errorf("case %s has no example file", name)
	}
}
