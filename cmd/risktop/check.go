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
	"github.com/risktop/risktop/sources/casb"
	"github.com/risktop/risktop/sources/cloudflare"
	"github.com/risktop/risktop/sources/httpx"
	"github.com/risktop/risktop/sources/okta"
	"github.com/risktop/risktop/sources/onelogin"
	"github.com/risktop/risktop/sources/vendor"
)

const checkSynopsis = `
Test each configured source with a few cheap calls, the way the dashboard
will use it: is it reachable, are the credentials accepted, may they do
what risktop needs (naming the missing permission or scope), and how much
of the rate-limit budget is left. No secret is printed.

Exit status: 0 when all is well, 1 when anything is wrong, 2 when the
config has errors.`

func runCheck(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("check [--config PATH]", checkSynopsis, out)
	cfgPath := fs.String("config", "", "the config file (default $RISKTOP_CONFIG, else $XDG_CONFIG_HOME/risktop/config.yaml)")
	timeout := fs.Duration("timeout", 20*time.Second, "time allowed for each source's checks")
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
	results := checkSources(ctx, cfg, *timeout)
	printChecks(out, cfg, results)
	if len(results) == 0 {
		return exitCode(1)
	}
	for _, r := range results {
		if r.failed() {
			return exitCode(1)
		}
	}
	return nil
}

// mark is one cell of the check table.
type mark int

const (
	markSkip mark = iota // not checked: an earlier step failed, or the vendor says nothing
	markOK
	markWarn // works, with a limitation worth knowing
	markFail
)

func (m mark) String() string {
	switch m {
	case markOK:
		return "✓"
	case markWarn:
		return "!"
	case markFail:
		return "✗"
	}
	return "–"
}

// checkResult is one source's row.
type checkResult struct {
	source                                        string
	reachable, authenticated, permitted, headroom mark
	budget                                        string // "4998/5000", "not reported"
	notes                                         []string
}

func (r *checkResult) failed() bool {
	for _, m := range []mark{r.reachable, r.authenticated, r.permitted, r.headroom} {
		if m == markFail {
			return true
		}
	}
	return false
}

func (r *checkResult) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// ok marks the columns a successful call proves.
func (r *checkResult) ok(ms ...*mark) {
	for _, m := range ms {
		if *m == markSkip {
			*m = markOK
		}
	}
}

// fail records err in the column it disproves: no answer means not
// reachable, a refused credential means not authenticated, a 403 means not
// permitted, a 429 means no headroom. The clients' hints name the fix
// (the missing permission or scope).
func (r *checkResult) fail(err error) {
	status, kind := httpx.StatusOf(err), httpx.KindOf(err)
	var he *httpx.Error
	tokenCall := errors.As(err, &he) && strings.HasSuffix(he.Op, "/token")
	var te *okta.TokenError
	switch {
	case errors.As(err, &te) && te.Code == "invalid_scope":
		r.ok(&r.reachable, &r.authenticated)
		r.permitted = markFail
	case kind == httpx.KindRateLimited || status == http.StatusTooManyRequests:
		r.ok(&r.reachable)
		r.headroom = markFail
	case status == http.StatusUnauthorized, tokenCall && status >= 400 && status < 500 && status != http.StatusNotFound:
		r.ok(&r.reachable)
		r.authenticated = markFail
	case status == http.StatusForbidden:
		r.ok(&r.reachable, &r.authenticated)
		r.permitted = markFail
	case r.reachable == markOK:
		// The vendor answered earlier calls; this one failed otherwise.
		r.permitted = markFail
	default:
		r.reachable = markFail
	}
	r.notes = append([]string{describe(err)}, r.notes...)
}

// setBudget fills the headroom column from the vendor's rate-limit report.
func (r *checkResult) setBudget(rl httpx.RateLimit, ok bool) {
	if r.reachable != markOK {
		return // no answer, nothing to report
	}
	if !ok || rl.Limit <= 0 {
		r.budget = "not reported"
		return
	}
	if rl.Remaining < 0 {
		r.budget = fmt.Sprintf("?/%d", rl.Limit)
		return
	}
	r.budget = fmt.Sprintf("%d/%d", rl.Remaining, rl.Limit)
	resets := ""
	if !rl.Reset.IsZero() {
		resets = fmt.Sprintf(" until %s", rl.Reset.Local().Format("15:04:05"))
	}
	switch {
	case rl.Remaining == 0:
		r.headroom = markFail
		r.note("rate-limit budget spent%s", resets)
	case float64(rl.Remaining) < 0.1*float64(rl.Limit):
		r.headroom = markWarn
		r.note("rate-limit budget low: %d of %d left%s", rl.Remaining, rl.Limit, resets)
	default:
		r.headroom = markOK
	}
}

// describe is an error for the detail column: the client errors already
// say what was asked and what to do; the source name is in its own column.
func describe(err error) string {
	var he *httpx.Error
	if errors.As(err, &he) {
		return strings.TrimPrefix(err.Error(), he.Vendor+": ")
	}
	return err.Error()
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
func checkSources(ctx context.Context, cfg *config.Config, timeout time.Duration) []checkResult {
	type check struct {
		source string
		run    func(context.Context, httpx.Options) checkResult
	}
	var checks []check
	if s := cfg.Source("onelogin"); s != nil {
		checks = append(checks, check{"onelogin", func(ctx context.Context, o httpx.Options) checkResult { return checkOneLogin(ctx, s, o) }})
	}
	if s := cfg.Source("casb"); s != nil {
		checks = append(checks, check{"casb", func(ctx context.Context, o httpx.Options) checkResult { return checkCASB(ctx, s, o) }})
	}
	if s := cfg.Source("cloudflare"); s != nil {
		checks = append(checks, check{"cloudflare", func(ctx context.Context, o httpx.Options) checkResult { return checkCloudflare(ctx, s, o) }})
	}
	if s := cfg.Source("okta"); s != nil {
		checks = append(checks, check{"okta", func(ctx context.Context, o httpx.Options) checkResult { return checkOkta(ctx, s, o) }})
	}
	results := make([]checkResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			opts := checkOptions()
			defer opts.HTTPClient.Transport.(*http.Transport).CloseIdleConnections()
			r := c.run(ctx, opts)
			r.source = c.source
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				r.note("gave up after %s (--timeout)", timeout)
			}
			results[i] = r
		})
	}
	wg.Wait()
	return results
}

// checkOneLogin: a token and the hourly budget (GET /auth/rate_limit), one
// event, then score insights, whose failure only costs the SmartFactor
// chart.
func checkOneLogin(ctx context.Context, s *vendor.Section, opts httpx.Options) (r checkResult) {
	c, err := onelogin.New(onelogin.ConfigOf(s, opts))
	if err != nil {
		r.fail(err)
		return r
	}
	rl, err := c.FetchRateLimit(ctx)
	if err != nil {
		r.fail(err)
		return r
	}
	r.ok(&r.reachable, &r.authenticated)
	if _, err := c.Events(ctx, onelogin.Query{Limit: 1}); err != nil {
		r.fail(err)
		r.setBudget(rl, true)
		return r
	}
	r.ok(&r.permitted)
	if _, err := c.ScoreInsights(ctx, onelogin.ScoreQuery{}); err != nil {
		r.permitted = markWarn
		r.note("events readable, but score insights failed, so no SmartFactor chart: %s", describe(err))
	} else {
		r.note("events and SmartFactor score insights readable")
	}
	if last, ok := c.RateLimit(); ok && last.Observed.After(rl.Observed) {
		rl = last
	}
	r.setBudget(rl, true)
	return r
}

// checkCASB: a token and one row of the user risk report.
func checkCASB(ctx context.Context, s *vendor.Section, opts httpx.Options) (r checkResult) {
	cc := casb.ConfigOf(s, opts)
	cc.PageSize = 1
	c, err := casb.New(cc)
	if err != nil {
		r.fail(err)
		return r
	}
	p, err := c.UserRiskPage(ctx, casb.Filter{}, "")
	if err != nil {
		r.fail(err)
		return r
	}
	r.ok(&r.reachable, &r.authenticated, &r.permitted)
	rows := "an unknown number of"
	if p.TotalCount >= 0 {
		rows = fmt.Sprint(p.TotalCount)
	}
	r.note("report %s readable (%s rows)", cc.Report, rows)
	rl, ok := c.RateLimit()
	r.setBudget(rl, ok)
	return r
}

// checkCloudflare: the summary, one user's detail (which needs 'Zero
// Trust: PII Read'), and the behaviors.
func checkCloudflare(ctx context.Context, s *vendor.Section, opts httpx.Options) (r checkResult) {
	c, err := cloudflare.New(cloudflare.ConfigOf(s, opts))
	if err != nil {
		r.fail(err)
		return r
	}
	defer func() { rl, ok := c.RateLimit(); r.setBudget(rl, ok) }()
	sum, err := c.Summary(ctx)
	if err != nil {
		r.fail(err)
		return r
	}
	r.ok(&r.reachable, &r.authenticated)
	if len(sum.Users) == 0 {
		r.permitted = markWarn
		r.note("no user has risk events, so user detail ('Zero Trust: PII Read') could not be tried")
	} else if _, err := c.User(ctx, sum.Users[0].UserID); err != nil {
		r.fail(err)
		return r
	}
	bs, err := c.Behaviors(ctx)
	if err != nil {
		r.fail(err)
		return r
	}
	r.ok(&r.permitted)
	enabled := 0
	for _, b := range bs {
		if b.Enabled {
			enabled++
		}
	}
	r.note("%d users with risk events, user detail readable, %d of %d behaviors enabled", sum.TotalCount, enabled, len(bs))
	return r
}

// checkOkta: a token (OAuth) and the risk provider that attributes our
// pushes. Nothing is pushed: a check must not change the org's risk.
func checkOkta(ctx context.Context, s *vendor.Section, opts httpx.Options) (r checkResult) {
	oc := okta.ConfigOf(s, opts)
	c, err := okta.New(oc)
	if err != nil {
		r.fail(err)
		return r
	}
	defer func() { rl, ok := c.RateLimit(); r.setBudget(rl, ok) }()
	att, err := c.CheckProvider(ctx)
	var te *okta.TokenError
	switch {
	case httpx.StatusOf(err) == http.StatusForbidden && !errors.As(err, &te),
		errors.As(err, &te) && te.Code == "invalid_scope":
		// Reading providers takes okta.riskProviders.read, which a
		// push-only app may rightly lack; pushes may still work.
		r.ok(&r.reachable, &r.authenticated)
		r.permitted = markWarn
		r.note("cannot read risk providers, so attribution is unknown (grant %s to check it): %s", okta.ScopeProvidersRead, describe(err))
		return r
	case err != nil:
		r.fail(err)
		return r
	}
	r.ok(&r.reachable, &r.authenticated)
	switch att.State {
	case okta.Enforced:
		r.permitted = markOK
	case okta.LogOnly, okta.NoClientID:
		r.permitted = markWarn
	default:
		r.permitted = markFail
	}
	r.note("%s (%s)", att.Detail, oc.Mode())
	return r
}

// printChecks writes the table, a legend and a verdict.
func printChecks(out io.Writer, cfg *config.Config, results []checkResult) {
	fmt.Fprintf(out, "risktop check: %s\n\n", cfg.Path)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tREACHABLE\tAUTHENTICATED\tPERMITTED\tHEADROOM\tDETAIL")
	bad := 0
	for _, r := range results {
		if r.failed() {
			bad++
		}
		headroom := r.headroom.String()
		if r.budget != "" {
			headroom += " " + r.budget
		}
		detail := strings.Join(r.notes, "; ")
		if detail == "" {
			detail = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.source, r.reachable, r.authenticated, r.permitted, headroom, detail)
	}
	tw.Flush()
	fmt.Fprintln(out, "\n✓ ok   ! works, with a limitation   ✗ wrong   – not checked")
	switch {
	case len(results) == 0:
		fmt.Fprintln(out, "No sources configured: add one under sources: (see config/example.yaml).")
	case bad == 0:
		fmt.Fprintf(out, "All %d source(s) ready.\n", len(results))
	default:
		fmt.Fprintf(out, "%d of %d source(s) have problems; the DETAIL column says what to fix.\n", bad, len(results))
	}
}
