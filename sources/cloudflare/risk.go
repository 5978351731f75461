package cloudflare

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/risktop/risktop/sources/sanitize"
)

// Summary is every user with risk events since their last reset. A user
// who is absent has no events; that is not the same as "low".
type Summary struct {
	Users []SummaryUser
	// TotalCount is result_info.total_count, or len(Users) when absent.
	TotalCount int
	// Incomplete is set when Cloudflare reported more users than it returned.
	Incomplete bool
	// Notes are non-fatal oddities in the answer (count mismatches, paging
	// the endpoint ignored, unreadable timestamps).
	Notes []string
}

// SummaryUser is one row of the summary.
type SummaryUser struct {
	UserID       string // the Access user UUID; the key for User and Reset
	Email        string
	Name         string
	EventCount   int
	LastEvent    time.Time
	MaxRiskLevel Level
}

type summaryWire struct {
	Users []struct {
		UserID       string `json:"user_id"`
		Email        string `json:"email"`
		Name         string `json:"name"`
		EventCount   int    `json:"event_count"`
		LastEvent    string `json:"last_event"`
		MaxRiskLevel Level  `json:"max_risk_level"`
	} `json:"users"`
}

// maxSummaryPages stops a server that keeps answering with new pages.
const maxSummaryPages = 100

// Summary fetches the account's risk summary.
//
// The SDK sends no paging parameters and whether the endpoint honours
// page/per_page is unconfirmed, so the first call sends none. Only when
// result_info says more users exist than came back does it ask for the
// next pages, and it stops (with a note) as soon as a page brings nothing
// new, which is what an endpoint that ignores paging looks like.
func (c *Client) Summary(ctx context.Context) (*Summary, error) {
	k := call{method: http.MethodGet, path: []string{"summary"}}
	env, err := send[summaryWire](ctx, c, k)
	if err != nil {
		return nil, err
	}
	var n notes
	out := &Summary{}
	seen := map[string]bool{}
	add := func(w summaryWire) int {
		added := 0
		for _, u := range w.Users {
			if seen[u.UserID] {
				continue
			}
			seen[u.UserID] = true
			added++
			if u.EventCount < 0 {
				n.add("user %s: event_count %d is negative", u.UserID, u.EventCount)
				u.EventCount = 0
			}
			out.Users = append(out.Users, SummaryUser{
				UserID:       u.UserID,
				Email:        u.Email,
				Name:         u.Name,
				EventCount:   u.EventCount,
				LastEvent:    n.timeField("user "+u.UserID, "last_event", u.LastEvent),
				MaxRiskLevel: u.MaxRiskLevel,
			})
		}
		return added
	}
	add(env.Result)
	out.TotalCount = len(out.Users)
	if ri := env.ResultInfo; ri != nil {
		out.TotalCount = ri.TotalCount
		if ri.TotalCount > len(out.Users) && ri.PerPage > 0 && ri.Page <= 1 {
			pages := (ri.TotalCount + ri.PerPage - 1) / ri.PerPage
			for page := 2; page <= min(pages, maxSummaryPages) && len(out.Users) < ri.TotalCount; page++ {
				k.query = map[string][]string{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(ri.PerPage)}}
				next, err := send[summaryWire](ctx, c, k)
				if err != nil {
					return nil, err
				}
				if add(next.Result) == 0 {
					n.add("the summary endpoint ignored page=%d; only the first %d users are shown", page, len(out.Users))
					break
				}
			}
		}
	}
	if out.TotalCount != len(out.Users) {
		n.add("result_info.total_count is %d but %d users came back", out.TotalCount, len(out.Users))
		out.Incomplete = out.TotalCount > len(out.Users)
	}
	out.Notes = n.result()
	sanitize.Struct(out)
	return out, nil
}

// UserRisk is one user's risk detail: events since their last reset.
type UserRisk struct {
	Email         string
	Name          string
	RiskLevel     Level      // "" when Cloudflare sent none (no events since the reset)
	LastResetTime *time.Time // nil when never reset
	Events        []Event
	Notes         []string
}

// Event is one behavior detection.
type Event struct {
	ID        string
	Name      string
	RiskLevel Level
	Timestamp time.Time
	// Details is event_details flattened to sorted key/value pairs
	// ("location.city" = "Lisbon"), cut to MaxDetails.
	Details          []Detail
	DetailsTruncated bool
}

type userWire struct {
	Email         string  `json:"email"`
	Name          string  `json:"name"`
	RiskLevel     Level   `json:"risk_level"`
	LastResetTime *string `json:"last_reset_time"`
	Events        []struct {
		ID           string          `json:"id"`
		Name         string          `json:"name"`
		RiskLevel    Level           `json:"risk_level"`
		Timestamp    string          `json:"timestamp"`
		EventDetails json.RawMessage `json:"event_details"`
	} `json:"events"`
}

// User fetches one user's risk detail. userID is the Access user UUID from
// the summary, not an email. The token needs 'Zero Trust: PII Read'.
func (c *Client) User(ctx context.Context, userID string) (*UserRisk, error) {
	if err := checkID("user id", userID); err != nil {
		return nil, err
	}
	env, err := send[userWire](ctx, c, call{
		method:  http.MethodGet,
		path:    []string{userID},
		hint403: hintPIIRead,
		hint404: "no such user: take the user id (an Access user UUID) from the summary",
	})
	if err != nil {
		return nil, err
	}
	w := env.Result
	var n notes
	out := &UserRisk{Email: w.Email, Name: w.Name, RiskLevel: w.RiskLevel}
	if w.LastResetTime != nil && *w.LastResetTime != "" {
		if t, ok := parseTime(*w.LastResetTime); ok {
			out.LastResetTime = &t
		} else {
			n.add("last_reset_time %q is not a date-time", *w.LastResetTime)
		}
	}
	for _, e := range w.Events {
		details, cut := FlattenDetails(e.EventDetails)
		out.Events = append(out.Events, Event{
			ID:               e.ID,
			Name:             e.Name,
			RiskLevel:        e.RiskLevel,
			Timestamp:        n.timeField("event "+e.ID, "timestamp", e.Timestamp),
			Details:          details,
			DetailsTruncated: cut,
		})
	}
	out.Notes = n.result()
	sanitize.Struct(out)
	return out, nil
}

// Reset clears a user's risk score and history. They leave the summary
// until they trigger a behavior again, and Access policies using "User Risk
// Score" see the change at once, so ask the operator first. The token needs
// 'Zero Trust Write'.
func (c *Client) Reset(ctx context.Context, userID string) error {
	if err := checkID("user id", userID); err != nil {
		return err
	}
	// The result is null or {}; anything else is ignored.
	_, err := send[json.RawMessage](ctx, c, call{
		method:  http.MethodPost,
		path:    []string{userID, "reset"},
		hint403: hintWrite,
		hint404: "no such user: take the user id (an Access user UUID) from the summary",
	})
	return err
}
