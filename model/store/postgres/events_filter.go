package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/risktop/risktop/model/store"
)

// eventPlan is a filter turned into SQL over events e, with $n
// placeholders numbered as its arguments are added.
type eventPlan struct {
	terms  []string
	args   []any
	none   bool // nothing can match (an unknown user)
	textAt int  // the free-text term's index in terms; -1: none
}

// arg adds an argument and returns its placeholder.
func (p *eventPlan) arg(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

func (p *eventPlan) where() string { return p.whereExcept(-1) }

// whereExcept is the WHERE clause without terms[i].
func (p *eventPlan) whereExcept(i int) string {
	terms := p.terms
	if i >= 0 {
		terms = append(terms[:i:i], terms[i+1:]...)
	}
	if len(terms) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(terms, " AND ")
}

// keyset adds the bound that continues after (op "<") or before (">") a key.
func (p *eventPlan) keyset(by store.Sort, op string, k *store.PageKey) {
	if by == store.ByScore {
		p.terms = append(p.terms, "(e.score, e.seq) "+op+" ("+p.arg(k.Score)+", "+p.arg(k.Seq)+")")
		return
	}
	p.terms = append(p.terms, "e.seq "+op+" "+p.arg(k.Seq))
}

// Limits of a filter, as on SQLite.
const (
	maxTypes   = 200 // the Types and TypeNames filter
	maxUserIDs = 500 // the users rows one user filter may stand for
)

// plan turns a filter into SQL. Users are looked up first, so the events
// query compares integers. Unlike SQLite's, PostgreSQL's planner weighs
// the LIMIT, so the plan leaves the choice of index to it.
func (s *Store) plan(ctx context.Context, f store.EventFilter) (*eventPlan, error) {
	p := &eventPlan{textAt: -1}
	if f.Vendor != "" {
		p.terms = append(p.terms, "e.vendor = "+p.arg(f.Vendor))
	}
	if !f.From.IsZero() {
		p.terms = append(p.terms, "e.seq >= "+p.arg(store.FirstSeq(f.From)))
	}
	if !f.To.IsZero() {
		p.terms = append(p.terms, "e.seq < "+p.arg(store.FirstSeq(f.To)))
	}
	if n := len(f.Types) + len(f.TypeNames); n > 0 {
		if n > maxTypes {
			return p, fmt.Errorf("too many event types (%d, at most %d)", n, maxTypes)
		}
		var alts []string
		if len(f.Types) > 0 {
			types := make([]int64, len(f.Types))
			for i, t := range f.Types {
				types[i] = int64(t)
			}
			alts = append(alts, "e.type = ANY("+p.arg(types)+"::bigint[])")
		}
		for _, name := range f.TypeNames {
			// Type names are the vendors' ASCII constants: ILIKE folds
			// them as SQLite's LIKE does.
			alts = append(alts, "e.type_name ILIKE "+p.arg("%"+likeEscaper.Replace(name)+"%"))
		}
		p.terms = append(p.terms, "("+strings.Join(alts, " OR ")+")")
	}
	if who := f.UserTerms(); len(who) > 0 {
		var uids []int64
		seen := map[int64]bool{}
		for _, u := range who {
			found, err := s.userIDs(ctx, u)
			if err != nil {
				return p, err
			}
			for _, uid := range found {
				if !seen[uid] {
					seen[uid] = true
					uids = append(uids, uid)
				}
			}
		}
		if len(uids) > maxUserIDs {
			return p, fmt.Errorf("user filter %q names more than %d users", strings.Join(who, ", "), maxUserIDs)
		}
		if len(uids) == 0 {
			p.none = true
			return p, nil
		}
		if len(uids) == 1 {
			p.terms = append(p.terms, "e.uid = "+p.arg(uids[0]))
		} else {
			p.terms = append(p.terms, "e.uid = ANY("+p.arg(uids)+"::bigint[])")
		}
	}
	if ip := strings.TrimSpace(f.IP); ip != "" {
		lo, hi, err := ipRange(ip)
		if err != nil {
			return p, err
		}
		if lo == hi {
			p.terms = append(p.terms, "e.ip_bin = "+p.arg(lo[:]))
		} else {
			p.terms = append(p.terms, "e.ip_bin BETWEEN "+p.arg(lo[:])+" AND "+p.arg(hi[:]))
		}
	}
	if f.MinScore > 0 {
		p.terms = append(p.terms, "e.score >= "+p.arg(f.MinScore))
	}
	if text := strings.TrimSpace(f.Text); text != "" {
		// search_text is lowered in Go (ASCII only, as SQLite's LIKE
		// folds), so the pattern is too and LIKE compares bytes; the
		// trigram index (events_search) answers it.
		p.textAt = len(p.terms)
		p.terms = append(p.terms, "e.search_text LIKE "+p.arg("%"+likeEscaper.Replace(asciiLower(text))+"%"))
	}
	return p, nil
}

// userIDs finds the users rows a user filter names: by email, vendor id,
// or name regardless of case.
func (s *Store) userIDs(ctx context.Context, u string) ([]int64, error) {
	lower := strings.ToLower(u)
	rows, err := s.pool.Query(ctx, `SELECT uid FROM users WHERE user_key = $1 OR user_id = $2 OR user_fold = $1 LIMIT $3`,
		lower, u, maxUserIDs+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var uids []int64
	for rows.Next() {
		var uid int64
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		uids = append(uids, uid)
	}
	if len(uids) > maxUserIDs {
		return nil, fmt.Errorf("user filter %q names more than %d users", u, maxUserIDs)
	}
	return uids, rows.Err()
}
