package cloudflare

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/sources/sanitize"
)

// ErrNotInSummary says an email is not in the risk summary, so there is
// no risk to reset.
var ErrNotInSummary = errors.New("is not in Cloudflare's risk summary: it lists only people with risk events since their last reset, so there is nothing to reset")

// FindPerson looks who (an email or an Access user id) up in the risk
// summary: an email must be there (only people with risk events are); an
// id need not be, and comes back alone for Cloudflare to judge.
func (c *Client) FindPerson(ctx context.Context, who string) (SummaryUser, error) {
	sum, err := c.Summary(ctx)
	if err != nil {
		return SummaryUser{}, err
	}
	byEmail := strings.Contains(who, "@")
	var found []SummaryUser
	for _, u := range sum.Users {
		if (byEmail && model.NormalizeEmail(u.Email) == model.NormalizeEmail(who)) || (!byEmail && strings.EqualFold(u.UserID, who)) {
			found = append(found, u)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		ids := make([]string, len(found))
		for i, u := range found {
			ids[i] = u.UserID
		}
		return SummaryUser{}, fmt.Errorf("%s matches %d Cloudflare users (%s); name one by its user id",
			sanitize.LineN(who, 128), len(found), strings.Join(ids, ", "))
	case byEmail:
		return SummaryUser{}, fmt.Errorf("%s %w", sanitize.LineN(who, 128), ErrNotInSummary)
	}
	return SummaryUser{UserID: who}, nil
}
