package vendorkit

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/risktop/risktop/sources/httpx"
)

// Mark is one cell of `risktop check`'s table.
type Mark int

const (
	MarkSkip Mark = iota // not checked: an earlier step failed, or the vendor says nothing
	MarkOK
	MarkWarn // works, with a limitation worth knowing
	MarkFail
)

func (m Mark) String() string {
	switch m {
	case MarkOK:
		return "✓"
	case MarkWarn:
		return "!"
	case MarkFail:
		return "✗"
	}
	return "–"
}

// CheckResult is one source's row of `risktop check`.
type CheckResult struct {
	Reachable, Authenticated, Permitted, Headroom Mark
	Budget                                        string // "4998/5000", "not reported"
	Notes                                         []string
}

// Failed reports whether any column is wrong.
func (r *CheckResult) Failed() bool {
	for _, m := range []Mark{r.Reachable, r.Authenticated, r.Permitted, r.Headroom} {
		if m == MarkFail {
			return true
		}
	}
	return false
}

// Note adds a remark for the detail column.
func (r *CheckResult) Note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// OK marks the columns a successful call proves.
func (r *CheckResult) OK(ms ...*Mark) {
	for _, m := range ms {
		if *m == MarkSkip {
			*m = MarkOK
		}
	}
}

// ScopeRefuser is an error saying the credential was refused a scope it
// asked for (OAuth's invalid_scope): a missing permission, not a bad
// credential.
type ScopeRefuser interface {
	ScopeRefused() bool
}

// Fail records err in the column it disproves: no answer means not
// reachable, a refused credential means not authenticated, a 403 or a
// refused scope means not permitted, a 429 means no headroom. The clients'
// hints name the fix (the missing permission or scope).
func (r *CheckResult) Fail(err error) {
	status, kind := httpx.StatusOf(err), httpx.KindOf(err)
	var he *httpx.Error
	tokenCall := errors.As(err, &he) && strings.HasSuffix(he.Op, "/token")
	var sr ScopeRefuser
	switch {
	case errors.As(err, &sr) && sr.ScopeRefused():
		r.OK(&r.Reachable, &r.Authenticated)
		r.Permitted = MarkFail
	case kind == httpx.KindRateLimited || status == http.StatusTooManyRequests:
		r.OK(&r.Reachable)
		r.Headroom = MarkFail
	case status == http.StatusUnauthorized, tokenCall && status >= 400 && status < 500 && status != http.StatusNotFound:
		r.OK(&r.Reachable)
		r.Authenticated = MarkFail
	case status == http.StatusForbidden:
		r.OK(&r.Reachable, &r.Authenticated)
		r.Permitted = MarkFail
	case r.Reachable == MarkOK:
		// The vendor answered earlier calls; this one failed otherwise.
		r.Permitted = MarkFail
	default:
		r.Reachable = MarkFail
	}
	r.Notes = append([]string{Describe(err)}, r.Notes...)
}

// SetBudget fills the headroom column from the vendor's rate-limit report.
func (r *CheckResult) SetBudget(rl httpx.RateLimit, ok bool) {
	if r.Reachable != MarkOK {
		return // no answer, nothing to report
	}
	if !ok || rl.Limit <= 0 {
		r.Budget = "not reported"
		return
	}
	if rl.Remaining < 0 {
		r.Budget = fmt.Sprintf("?/%d", rl.Limit)
		return
	}
	r.Budget = fmt.Sprintf("%d/%d", rl.Remaining, rl.Limit)
	resets := ""
	if !rl.Reset.IsZero() {
		resets = fmt.Sprintf(" until %s", rl.Reset.Local().Format("15:04:05"))
	}
	switch {
	case rl.Remaining == 0:
		r.Headroom = MarkFail
		r.Note("rate-limit budget spent%s", resets)
	case float64(rl.Remaining) < 0.1*float64(rl.Limit):
		r.Headroom = MarkWarn
		r.Note("rate-limit budget low: %d of %d left%s", rl.Remaining, rl.Limit, resets)
	default:
		r.Headroom = MarkOK
	}
}

// Describe is an error for the detail column: the client errors already
// say what was asked and what to do; the source name is in its own column.
func Describe(err error) string {
	var he *httpx.Error
	if errors.As(err, &he) {
		return strings.TrimPrefix(err.Error(), he.Vendor+": ")
	}
	return err.Error()
}
