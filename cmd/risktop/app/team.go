package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/risktop/risktop/model/hub"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/postgres"
)

// A team's instances share one PostgreSQL store. Each vendor is polled
// by one of them at a time, the detection engine and the pruning run in
// one, and every instance's dashboards hear what any of them stored.

// leader is a store that elects one of the instances sharing it to do a
// job (postgres.Store).
type leader interface {
	WhileLeader(ctx context.Context, name string, retry time.Duration, run func(ctx context.Context), onChange func(leading bool))
}

// leaderRetry is how often an instance that does not lead a job tries to
// take it, and how often a leader checks its hold: half the job's
// interval, so a leader that dies is replaced within one interval, and
// never slower than maxLeaderRetry.
func leaderRetry(interval time.Duration) time.Duration {
	return min(max(interval/2, time.Second), maxLeaderRetry)
}

const maxLeaderRetry = 15 * time.Second

// sharedOutboxPoll is how often the sender of an instance sharing its
// store looks at the outbox unasked: other instances' pushes, and those a
// killed instance had claimed (the store hands them out at once), wake
// nothing here.
const sharedOutboxPoll = 2 * time.Second

// outboxPoll is the sender's OutboxPoll for st: none for a store of one
// host, whose pushes all wake its own sender.
func outboxPoll(st store.Store) time.Duration {
	if _, shared := st.(leader); shared {
		return sharedOutboxPoll
	}
	return 0
}

// whileLeader runs job under the store's leadership of name, or at once
// when the store is not shared (SQLite).
func whileLeader(ctx context.Context, st store.Store, name string, interval time.Duration, log *slog.Logger, job func(ctx context.Context)) {
	l, ok := st.(leader)
	if !ok {
		job(ctx)
		return
	}
	l.WhileLeader(ctx, name, leaderRetry(interval), job, func(leading bool) {
		if log == nil {
			return
		}
		if leading {
			log.Info("leading", "job", name)
		} else {
			log.Info("no longer leading", "job", name)
		}
	})
}

// RunNews joins a shared store's news to bus on wg until ctx ends: what
// this instance publishes reaches the other instances' dashboards, and
// theirs reach this one's. Nothing for a store of one host (SQLite).
func RunNews(ctx context.Context, wg *sync.WaitGroup, st store.Store, bus *hub.Hub, log *slog.Logger) {
	pg, ok := st.(*postgres.Store)
	if !ok {
		return
	}
	host, _ := os.Hostname()
	instance := fmt.Sprintf("%s:%d", host, os.Getpid())
	wg.Go(func() {
		var was postgres.BridgeStatus
		_ = pg.Bridge(ctx, bus, instance, func(s postgres.BridgeStatus) {
			switch {
			case s.Listening && !was.Listening:
				log.Info("hearing the other instances")
			case !s.Listening && s.Err != nil && (was.Listening || was.Err == nil):
				log.Warn("not hearing the other instances", "err", s.Err, "retry_in", s.RetryIn)
			}
			was = s
		})
	})
}
