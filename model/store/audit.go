package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/risktop/risktop/model"
)

// AppendAudit adds an entry (At defaults to now) and returns its id. There
// is no way to change or remove an entry: triggers refuse UPDATE and
// DELETE on the table, and Prune leaves it alone.
func (s *SQLite) AppendAudit(ctx context.Context, e model.AuditEntry) (int64, error) {
	if e.Action == "" {
		return 0, errors.New("store: append audit: no action")
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	var id int64
	err := s.inTx(ctx, "append audit", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO audit
			(at_ms, actor, action, vendor, target, result, vendor_status, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			unixMs(e.At), e.Actor, e.Action, e.Vendor, e.Target, e.Result, e.VendorStatus, e.Detail)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// Audit lists entries newest first (by id, the order they were appended),
// before an id (0: from the newest).
func (s *SQLite) Audit(ctx context.Context, beforeID int64, limit int) ([]model.AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT id, at_ms, actor, action, vendor, target, result, vendor_status, detail FROM audit`
	args := []any{}
	if beforeID > 0 {
		query += ` WHERE id < ?`
		args = append(args, beforeID)
	}
	rows, err := s.read.QueryContext(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	var out []model.AuditEntry
	for rows.Next() {
		var (
			e    model.AuditEntry
			atMs int64
		)
		if err := rows.Scan(&e.ID, &atMs, &e.Actor, &e.Action, &e.Vendor, &e.Target, &e.Result,
			&e.VendorStatus, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		e.At = timeOfMs(atMs)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	return out, nil
}
