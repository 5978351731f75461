package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
)

// The people area's helpers. Names start with people so they stay clear
// of the other areas' in this package.

// peopleNow is the people cases' "now" (the SQLite tests' fixtureNow).
var peopleNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func peopleMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// peopleView is a view of one person by email at a level, unscored.
func peopleView(email string, l model.Level) model.UserRisk {
	return model.UserRisk{UserID: "id-" + email, Email: email, Level: l, Score: model.NoScore}
}

// peoplePutEvents stores events for a case that reads the rollups.
func peoplePutEvents(t *testing.T, s store.Store, evs []model.Event) int {
	t.Helper()
	n, err := s.PutEvents(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// peopleHistory is every history row, through the feed.
func peopleHistory(t *testing.T, s store.Store) []store.LevelChange {
	t.Helper()
	var out []store.LevelChange
	for after := int64(0); ; {
		page, err := s.HistoryFeed(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].ID
	}
}

// peopleRangeEvents are n sign-ins from distinct addresses of a /24 (or
// /48) by users people ids, failed when fail.
func peopleRangeEvents(prefix string, from time.Time, n, people int, fail bool, idBase int) []model.Event {
	var out []model.Event
	for i := range n {
		name := "USER_LOGGED_INTO_ONELOGIN"
		if fail {
			name = "USER_FAILED_ONELOGIN_LOGIN"
		}
		u := i % people
		out = append(out, model.Event{Vendor: "onelogin", ID: fmt.Sprint(idBase + i), Time: from.Add(time.Duration(i) * time.Second),
			Type: 6, TypeName: name, UserID: fmt.Sprint(u), UserName: fmt.Sprintf("User %d", u),
			IP: fmt.Sprintf(prefix, i%50+1), Score: 60, Level: model.LevelHigh})
	}
	return out
}

// peopleEvents makes n events spread evenly over [from, from+span), with
// scores in every bucket and none, two vendors, some failures, IPv4 and
// IPv6 addresses and some without: what the rollups count.
func peopleEvents(seed uint64, n int, from time.Time, span time.Duration) []model.Event {
	rnd := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]model.Event, n)
	for i := range out {
		score := rnd.IntN(102) - 1 // -1 (none) … 100
		e := model.Event{Vendor: "onelogin", ID: fmt.Sprintf("%d-%d", seed, i),
			Time: from.Add(time.Duration(int64(span) / int64(n) * int64(i))), Type: 5, TypeName: "USER_LOGGED_INTO_ONELOGIN",
			UserID: fmt.Sprint(rnd.IntN(40)), Score: score, Level: model.LevelOfScore(score)}
		e.UserName = "User " + e.UserID
		switch rnd.IntN(4) {
		case 0:
			e.IP = fmt.Sprintf("198.51.%d.%d", rnd.IntN(4), 1+rnd.IntN(250))
		case 1:
			e.IP = fmt.Sprintf("2001:db8:%x::%x", rnd.IntN(4), 1+rnd.IntN(250))
		case 2:
			e.IP = fmt.Sprintf("203.0.113.%d", 1+rnd.IntN(250))
		}
		if rnd.IntN(5) == 0 {
			e.Type, e.TypeName = 6, "USER_FAILED_ONELOGIN_LOGIN"
		}
		if rnd.IntN(10) == 0 {
			e.Vendor, e.Type, e.TypeName = "cloudflare", 0, "behavior"
		}
		out[i] = e
	}
	return out
}

// peopleTrendSum is a count row's events.
func peopleTrendSum(c [model.Unscored + 1]int) (n int) {
	for _, x := range c {
		n += x
	}
	return n
}
