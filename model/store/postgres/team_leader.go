package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leadership: several instances on one database elect, per name ("poll/okta",
// "detect"), one that does the work. The leader holds a session-level
// advisory lock on a connection of its own; the lock lives exactly as long as
// that session, so a leader that dies or loses the database frees it without
// anyone cleaning up, and a leader learns it lost it when its connection
// breaks.

// leaderAppPrefix starts the application_name of a leadership connection;
// Leaders reads the name and the holder back from it.
const leaderAppPrefix = "risktop lead "

// leaderKey is the advisory-lock key of a leadership name: a 64-bit FNV-1a
// hash of "risktop/"+name, the same in every instance and release.
func leaderKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("risktop/" + name))
	return int64(h.Sum64())
}

// leaderAppName is the application_name of name's leadership connection:
// the name, then this process (host:pid), cut to PostgreSQL's 63 bytes
// from the holder's end so the name survives.
func leaderAppName(name string) string {
	host, _ := os.Hostname()
	if host == "" {
		host = "?"
	}
	return cut63(leaderAppPrefix + name + " " + host + ":" + strconv.Itoa(os.Getpid()))
}

// cut63 cuts an application_name to the 63 bytes PostgreSQL keeps.
func cut63(s string) string {
	if len(s) > 63 {
		return s[:63]
	}
	return s
}

// dedicated opens a connection outside the pool, for a session that must
// stay one session (an advisory lock, LISTEN). params are extra run-time
// parameters.
func (s *Store) dedicated(ctx context.Context, appName string, params map[string]string) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = appName
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// closeQuietly closes a dedicated connection without waiting long on a
// dead network; closing the session frees its advisory locks.
func closeQuietly(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn.Close(ctx)
}

// WhileLeader runs run while this store leads name, among every store on
// the database, and returns once ctx is done and run has returned.
//
// Every retry it tries to take name's advisory lock on a connection of its
// own (connecting again after errors). Once it holds it, it waits a
// quarter of retry (at most a second: time for a previous leader whose
// connection just broke to have noticed and stopped), calls
// onChange(true) and starts run with a context that is cancelled the
// moment leadership is lost: the connection breaks (the server
// terminated it, restarted, went away) or does not answer a SELECT 1
// within retry, checked every retry. Then it waits for run to return,
// calls onChange(false), drops the connection and tries again after two
// retries (one for the others to take over first). When run
// returns on its own, the lock is released and taken again no sooner
// than retry later, so another instance may lead meanwhile. onChange may
// be nil; both callbacks are called from WhileLeader's goroutine.
//
// Another instance takes over within about retry + retry/4 of the lock
// being freed: at once when the leader exits or its connection is
// closed; when the network to it is cut silently, once the server's TCP
// keepalives (set from retry on this connection, TCP only) give up on it,
// about three retries. Run therefore must return promptly when its
// context is cancelled: two instances run at once only while an old
// leader's run ignores its cancellation.
func (s *Store) WhileLeader(ctx context.Context, name string, retry time.Duration, run func(ctx context.Context), onChange func(leading bool)) {
	if retry <= 0 {
		retry = time.Second
	}
	key := leaderKey(name)
	secs := strconv.Itoa(max(1, int(retry.Round(time.Second)/time.Second)))
	params := map[string]string{
		// Let the server notice a silent client within ~3 retries and free
		// the lock (ignored on Unix sockets, where a dead client is seen
		// at once).
		"tcp_keepalives_idle":     secs,
		"tcp_keepalives_interval": secs,
		"tcp_keepalives_count":    "2",
	}
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			closeQuietly(conn)
		}
	}()
	for ctx.Err() == nil {
		if conn == nil {
			cctx, cancel := context.WithTimeout(ctx, max(retry, 5*time.Second))
			conn, _ = s.dedicated(cctx, leaderAppName(name), params)
			cancel()
		}
		if conn != nil {
			ok, err := tryLock(ctx, conn, key, retry)
			if err == nil && ok {
				err = s.lead(ctx, conn, key, retry, run, onChange)
				if err != nil {
					// A leader that lost its connection is likely the
					// unwell one: it lets the others try first.
					sleep(ctx, retry)
				}
			}
			if err != nil {
				closeQuietly(conn)
				conn = nil
			}
		}
		sleep(ctx, retry)
	}
}

// tryLock tries to take the advisory lock key on conn, waiting at most
// retry for the answer.
func tryLock(ctx context.Context, conn *pgx.Conn, key int64, retry time.Duration) (bool, error) {
	qctx, cancel := context.WithTimeout(ctx, retry)
	defer cancel()
	var ok bool
	err := conn.QueryRow(qctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok)
	return ok, err
}

// lead runs run while conn holds the lock key; it returns once run has
// returned, with an error when the connection is no longer to be used
// (lost, or ctx done: closing it frees the lock).
func (s *Store) lead(ctx context.Context, conn *pgx.Conn, key int64, retry time.Duration, run func(context.Context), onChange func(bool)) error {
	if err := idle(ctx, conn, min(retry/4, time.Second)); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	if onChange != nil {
		onChange(true)
	}
	go func() {
		defer close(done)
		defer cancel() // wakes the watch below when run returns on its own
		run(runCtx)
	}()
	var lost error
	for lost == nil && runCtx.Err() == nil {
		lost = idle(runCtx, conn, retry)
		if lost == nil && runCtx.Err() == nil {
			lost = ping(ctx, conn, retry)
		}
	}
	cancel()
	<-done
	err := lost
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // closing the connection frees the lock
	}
	if err == nil {
		uctx, ucancel := context.WithTimeout(ctx, retry)
		_, err = conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key)
		ucancel()
	}
	if onChange != nil {
		onChange(false)
	}
	return err
}

// idle waits up to d, or until ctx is done, reading conn so that a broken
// connection (terminated, server gone) is seen at once: it returns nil
// when d passed or ctx is done, and the connection's error otherwise.
func idle(ctx context.Context, conn *pgx.Conn, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	_, err := conn.WaitForNotification(wctx)
	if err != nil && wctx.Err() != nil && !conn.IsClosed() {
		return nil // timed out (a read deadline, the connection stays usable)
	}
	if err == nil && conn.IsClosed() {
		err = errors.New("connection closed")
	}
	return err
}

// ping checks that conn answers within d.
func ping(ctx context.Context, conn *pgx.Conn, d time.Duration) error {
	pctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if _, err := conn.Exec(pctx, `SELECT 1`); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("leader connection: %w", err)
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Leaders says who leads what on this database right now: leadership
// name → holder ("host:pid" of the instance). It reads the server's own
// lock table (pg_locks with pg_stat_activity's application_name) rather
// than a lease table, so a leader that died is gone from it the moment
// its session is, with no row to go stale and nothing written.
func (s *Store) Leaders(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.application_name, l.classid::bigint, l.objid::bigint
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND a.application_name LIKE $1`, leaderAppPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("store: leaders: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var app string
		var hi, lo int64
		if err := rows.Scan(&app, &hi, &lo); err != nil {
			return nil, fmt.Errorf("store: leaders: %w", err)
		}
		rest := strings.TrimPrefix(app, leaderAppPrefix)
		i := strings.LastIndexByte(rest, ' ')
		if i < 0 {
			continue
		}
		name, holder := rest[:i], rest[i+1:]
		// A two-int advisory key shows as classid/objid with objsubid 2;
		// a bigint one as its high and low halves with objsubid 1.
		if leaderKey(name) != int64(uint64(hi)<<32|uint64(lo)) {
			continue // another lock of that connection, or a cut name
		}
		out[name] = holder
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: leaders: %w", err)
	}
	return out, nil
}
