package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/vendorkit"
	"github.com/risktop/risktop/sources/vendors"
	"github.com/risktop/risktop/ui/words"
)

const checkSynopsis = `
Test each configured source with a few cheap calls, the way the dashboard
will use it: is it reachable, are the credentials accepted, may they do
what risktop needs (naming the missing permission or scope), and how much
of the rate-limit budget is left. No secret is printed.

With --record DIR, each request and answer of the check is written to DIR
(0700; a 0600 JSON file per exchange) with tokens, keys, secrets,
passwords, cookies and signatures replaced by [REDACTED]: exactly what your
tenant answered, to send along when risktop cannot read it.

Exit status: 0 when all is well, 1 when anything is wrong, 2 when the
config has errors.`

func runCheck(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("check [--config PATH]", checkSynopsis, out, errOut)
	cfgPath := fs.String("config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	timeout := fs.Duration("timeout", 20*time.Second, "time allowed for each source's checks")
	recordDir := fs.String("record", "", "write each request and answer, secrets redacted, to this directory")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *timeout <= 0 {
		return fmt.Errorf("--timeout %v must be positive", *timeout)
	}
	cfg, err := loadConfig(*cfgPath, errOut)
	if err != nil {
		return err
	}
	var rec *recording
	if *recordDir != "" {
		if rec, err = newRecording(*recordDir, cfg); err != nil {
			return failf(errOut, 2, "check: --record %s: %v", *recordDir, err)
		}
	}
	results := checkSources(ctx, cfg, *timeout, rec)
	printChecks(out, cfg, results)
	if rec != nil {
		rec.report(out, errOut)
	}
	if len(results) == 0 {
		return exitCode(1)
	}
	for _, r := range results {
		if r.Failed() {
			return exitCode(1)
		}
	}
	return nil
}

// checkResult is one source's row.
type checkResult struct {
	source string
	vendorkit.CheckResult
}

// checkOptions keep a check short: one retry, no long Retry-After waits.
func checkOptions() httpx.Options {
	return httpx.Options{
		HTTPClient:   &http.Client{Transport: newTransport()},
		Timeout:      10 * time.Second,
		MaxAttempts:  2,
		BackoffBase:  200 * time.Millisecond,
		MaxBackoff:   time.Second,
		MaxRetryWait: 2 * time.Second,
	}
}

// checkSources runs every source's checks at once, each with its own
// timeout, and returns the rows in the config's order.
func checkSources(ctx context.Context, cfg *config.Config, timeout time.Duration, rec *recording) []checkResult {
	type check struct {
		source string
		run    func(context.Context, httpx.Options) vendorkit.CheckResult
	}
	var checks []check
	for _, v := range vendors.All {
		if s := cfg.Source(v.Name); s != nil {
			checks = append(checks, check{v.Name, func(ctx context.Context, o httpx.Options) vendorkit.CheckResult { return v.Check(ctx, s, o) }})
		}
	}
	results := make([]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			opts := checkOptions()
			defer opts.HTTPClient.Transport.(*http.Transport).CloseIdleConnections()
			rec.wrap(c.source, &opts)
			r := checkResult{source: c.source, CheckResult: c.run(ctx, opts)}
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				r.Note("gave up after %s (--timeout)", timeout)
			}
			results[i] = r
		})
	}
	wg.Wait()
	return results
}

// printChecks writes the table, a legend and a verdict.
func printChecks(out io.Writer, cfg *config.Config, results []checkResult) {
	fmt.Fprintf(out, "risktop check: %s\n\n", cfg.Path)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tREACHABLE\tAUTHENTICATED\tPERMITTED\tHEADROOM\tDETAIL")
	bad := 0
	for _, r := range results {
		if r.Failed() {
			bad++
		}
		headroom := r.Headroom.String()
		if r.Budget != "" {
			headroom += " " + r.Budget
		}
		detail := strings.Join(r.Notes, "; ")
		if detail == "" {
			detail = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.source, r.Reachable, r.Authenticated, r.Permitted, headroom, detail)
	}
	tw.Flush()
	fmt.Fprintln(out, "\n✓ ok   ! works, with a limitation   ✗ wrong   – not checked")
	switch {
	case len(results) == 0:
		fmt.Fprintln(out, "No sources configured: add one under sources: (see config/example.yaml).")
	case bad == 0 && len(results) == 1:
		fmt.Fprintln(out, "The one source is ready.")
	case bad == 0:
		fmt.Fprintf(out, "All %d sources ready.\n", len(results))
	case bad == 1:
		fmt.Fprintf(out, "1 of %s has problems; the DETAIL column says what to fix.\n", words.Plural(len(results), "source"))
	default:
		fmt.Fprintf(out, "%d of %s have problems; the DETAIL column says what to fix.\n", bad, words.Plural(len(results), "source"))
	}
}
