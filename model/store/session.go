package store

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"sync"
)

// Outbox claims name the store session that made them (SQLite.session).
// A session records its process in the sessions table when it first
// claims, and removes it when the store is closed; another session takes
// over its claims only once that process is gone (killed mid-send), so
// two running processes on one store (a dashboard with --write and a
// push-ip) never send the same item, and an item a killed process was
// sending is sent once more, by one process.

// proc identifies a process: its pid, the host, and (where the OS tells)
// when it started, so that a pid reused after a crash is not taken for
// the process that crashed.
type proc struct {
	pid     int
	host    string
	started string // "" when the OS does not say
}

var thisProc = sync.OnceValue(func() proc {
	host, _ := os.Hostname()
	started, _ := processStarted(os.Getpid())
	return proc{pid: os.Getpid(), host: host, started: started}
})

// running reports whether p may still run. A process on another host
// (SQLite's WAL needs one host, but a container has a name of its own)
// cannot be asked: it counts as gone, and its claims are taken at once,
// as a send that ended.
func (p proc) running() bool {
	me := thisProc()
	if p.pid <= 0 || p.host != me.host || !processAlive(p.pid) {
		return false
	}
	started, zombie := processStarted(p.pid)
	switch {
	case zombie: // killed, not yet reaped
		return false
	case p.started != "" && started != "" && started != p.started:
		return false // the pid was reused
	}
	return true
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// goneClaimers lists the other sessions with items sending whose process
// is gone (or never recorded: an older risktop's), so their claims may be
// taken at once.
func (s *SQLite) goneClaimers(ctx context.Context, q queryer) ([]string, error) {
	return s.goneClaimersIn(ctx, q, "outbox")
}

// goneClaimersIn is goneClaimers for a table with the outbox's state,
// claim_session columns (outbox, deliveries).
func (s *SQLite) goneClaimersIn(ctx context.Context, q queryer, table string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT o.claim_session, s.pid, s.host, s.started
		FROM (SELECT DISTINCT claim_session FROM `+table+` WHERE state = 'sending' AND claim_session != ?) o
		LEFT JOIN sessions s ON s.session = o.claim_session`, s.session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []string
	for rows.Next() {
		var session string
		var pid sql.NullInt64
		var host, started sql.NullString
		if err := rows.Scan(&session, &pid, &host, &started); err != nil {
			return nil, err
		}
		if !pid.Valid || !(proc{pid: int(pid.Int64), host: host.String, started: started.String}).running() {
			gone = append(gone, session)
		}
	}
	return gone, rows.Err()
}

// goneSessions lists the other sessions recorded whose process is gone,
// for their records to be removed once they have nothing left sending.
func (s *SQLite) goneSessions(ctx context.Context, q queryer) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT session, pid, host, started FROM sessions WHERE session != ?`, s.session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []string
	for rows.Next() {
		var session string
		var p proc
		if err := rows.Scan(&session, &p.pid, &p.host, &p.started); err != nil {
			return nil, err
		}
		if !p.running() {
			gone = append(gone, session)
		}
	}
	return gone, rows.Err()
}

// inList is "(?, ?, …)" for n values, or "(NULL)" (which matches nothing)
// for none.
func inList(n int) string {
	if n == 0 {
		return "(NULL)"
	}
	return "(?" + strings.Repeat(", ?", n-1) + ")"
}

// recordSession writes this store's process into the sessions table, in
// the transaction of a claim.
func (s *SQLite) recordSession(ctx context.Context, tx *sql.Tx) error {
	me := thisProc()
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO sessions (session, pid, host, started) VALUES (?, ?, ?, ?)`,
		s.session, me.pid, me.host, me.started)
	return err
}

// forgetGoneSessions drops the records of gone processes once nothing
// they claimed is left sending, in the push outbox or the deliveries:
// both claimers (ClaimDue, ClaimDeliveries) call it.
func (s *SQLite) forgetGoneSessions(ctx context.Context, tx *sql.Tx) error {
	dead, err := s.goneSessions(ctx, tx)
	if err != nil || len(dead) == 0 {
		return err
	}
	args := make([]any, len(dead))
	for i, d := range dead {
		args[i] = d
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE session IN `+inList(len(dead))+`
		AND NOT EXISTS (SELECT 1 FROM deliveries WHERE state = 'sending' AND claim_session = sessions.session)
		AND NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'sending' AND claim_session = sessions.session)`, args...)
	return err
}
