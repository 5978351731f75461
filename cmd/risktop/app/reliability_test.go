package app

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/risktop/risktop/sources/actions"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/sim"
)

// docs/RELIABILITY.md is written from the fault suite's results through
// testdata/RELIABILITY.md.tmpl, and TestFaultSuite fails when the
// committed file differs from what it observed: it cannot drift.

var writeReport = flag.Bool("write-report", false, "rewrite docs/RELIABILITY.md from this run of TestFaultSuite")

const (
	reportPath     = "../../../docs/RELIABILITY.md"
	reportTemplate = "testdata/RELIABILITY.md.tmpl"
	reportCommand  = "go test ./cmd/risktop/app -run TestFaultSuite -args -write-report"
)

func checkReliabilityReport(t *testing.T, results []faultResult) {
	t.Helper()
	got, err := renderReport(results)
	if err != nil {
		t.Fatal(err)
	}
	if *writeReport {
		if err := os.WriteFile(reportPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatalf("%v; write it with `%s`", err, reportCommand)
	}
	if d := firstDiff(string(want), string(got)); d != "" {
		t.Fatalf("docs/RELIABILITY.md differs from what the suite observed, %s\nif the change is intended, rewrite it with `%s`", d, reportCommand)
	}
}

// firstDiff describes the first line where two texts differ ("" : none).
func firstDiff(file, suite string) string {
	fl, sl := strings.Split(file, "\n"), strings.Split(suite, "\n")
	at := func(ls []string, i int) string {
		if i < len(ls) {
			return ls[i]
		}
		return "(end of file)"
	}
	for i := range max(len(fl), len(sl)) {
		if f, s := at(fl, i), at(sl, i); f != s {
			return fmt.Sprintf("first at line %d:\n  file:  %s\n  suite: %s", i+1, f, s)
		}
	}
	return ""
}

var vendorTitle = map[string]string{
	sim.OneLogin: "OneLogin", sim.CASB: "Oracle CASB", sim.Cloudflare: "Cloudflare", sim.Okta: "Okta",
}

type (
	reportData struct {
		Command, MaxBody              string
		WarmUp, FaultFor, Recovery    time.Duration
		MaxPushAttempts, HTTPAttempts int
		People                        int
		Faults                        []reportFault
		Vendors                       []reportVendor
		Missing, Dups, Cases          int
		PushElsewhere                 string
		OktaPushes                    []reportPush
	}
	reportFault  struct{ Name, What, Say string }
	reportVendor struct {
		Title string
		Rows  []reportRow
	}
	reportRow struct {
		Fault, Health, State string
		Failed               int
		Requests             int64
		Recovered            string
	}
	reportPush struct {
		Fault    string
		Posts    int64
		Attempts int
		Sent     string
	}
)

// renderReport fills the template. Everything it shows is fixed text or a
// figure measured on fake time, which repeats from run to run.
func renderReport(results []faultResult) ([]byte, error) {
	tmpl, err := template.ParseFiles(reportTemplate)
	if err != nil {
		return nil, err
	}
	byKey := map[string]faultResult{}
	for _, r := range results {
		byKey[r.vendor+"/"+r.fault] = r
	}
	d := reportData{Command: reportCommand, MaxBody: fmt.Sprintf("%d KiB", rigMaxBody>>10), WarmUp: warmUp, FaultFor: faultFor, Recovery: recovery,
		MaxPushAttempts: actions.MaxPushAttempts, HTTPAttempts: httpx.DefaultMaxAttempts, Cases: len(results), People: rigPeople}
	for _, f := range faults {
		say := "nothing: the token is minted again on the spot (Cloudflare: `401 Unauthorized`)"
		if w := f.words(sim.OneLogin); w != nil {
			say = "`" + strings.Join(w, "`, `") + "`"
		}
		d.Faults = append(d.Faults, reportFault{f.name, f.what, say})
	}
	for _, v := range sim.Vendors {
		rv := reportVendor{Title: vendorTitle[v]}
		for _, f := range faults {
			r := byKey[v+"/"+f.name]
			row := reportRow{Fault: f.name, Health: "(stayed ok)", State: r.state.String(), Failed: r.failedPolls,
				Requests: r.requests, Recovered: "(never failed)"}
			if r.health != "" {
				row.Health = "`" + strings.ReplaceAll(r.health, "|", `\|`) + "`"
			}
			if r.failedPolls > 0 {
				row.Recovered = fmtDur(r.recovered)
			}
			rv.Rows = append(rv.Rows, row)
		}
		d.Vendors = append(d.Vendors, rv)
	}
	elsewhere, ok := 0, 0
	for _, r := range results {
		d.Missing += r.missing
		d.Dups += r.dups
		if r.vendor != sim.Okta {
			elsewhere++
			if r.pushPosts == 1 && r.pushAttempts == 1 && r.pushesSent <= 0 {
				ok++
			}
		}
	}
	d.PushElsewhere = fmt.Sprintf("%d of %d cases", ok, elsewhere)
	for _, f := range faults {
		r := byKey[sim.Okta+"/"+f.name]
		sent := fmtDur(r.pushesSent)
		if r.pushesSent <= 0 {
			sent = "before it ended"
		}
		d.OktaPushes = append(d.OktaPushes, reportPush{f.name, r.pushPosts, r.pushAttempts, sent})
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// fmtDur rounds to a tenth of a second for reading.
func fmtDur(d time.Duration) string {
	return d.Round(100 * time.Millisecond).String()
}
