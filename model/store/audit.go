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
	ids, err := s.AppendAudits(ctx, []model.AuditEntry{e})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AppendAudits adds entries in order, in one transaction (all or none),
// and returns their ids.
func (s *SQLite) AppendAudits(ctx context.Context, es []model.AuditEntry) ([]int64, error) {
	for _, e := range es {
		if e.Action == "" {
			return nil, errors.New("store: append audit: no action")
		}
	}
	ids := make([]int64, 0, len(es))
	err := s.inTx(ctx, "append audit", func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO audit
			(at_ms, actor, action, vendor, target, result, vendor_status, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, e := range es {
			if e.At.IsZero() {
				e.At = time.Now()
			}
			res, err := ins.ExecContext(ctx, unixMs(e.At), e.Actor, e.Action, e.Vendor, e.Target, e.Result, e.VendorStatus, e.Detail)
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
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
