package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations build the schema: migrations[i] takes the database from
// version i to i+1. Append only; never edit a released migration. The
// first is every area's tables (each kept beside its code).
var migrations = []string{
	eventsSchema + peopleSchema + outboxSchema + alertsSchema,
	// SQLite's 9: the hourly rollup outlives the events (store.RollupsOutlive).
	`DROP TRIGGER IF EXISTS event_hours_remove ON events; DROP FUNCTION event_hours_remove();
CREATE INDEX event_hours_vendor ON event_hours (vendor, hour);`,
}

// migrationLock is the advisory lock key that serialises migrations of
// instances starting together.
const migrationLock = 0x7269736b746f7001 // "risktop\x01"

// migrate applies the migrations not yet applied, each in a transaction,
// under an advisory lock; it refuses a database migrated by a newer
// risktop.
func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS risktop_schema (version INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("cannot create tables (does the role own the database, or have CREATE on it?): %w", err)
		}
		var version int
		err := tx.QueryRow(ctx, `SELECT version FROM risktop_schema`).Scan(&version)
		switch {
		case err == pgx.ErrNoRows:
			if _, err := tx.Exec(ctx, `INSERT INTO risktop_schema (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if version > len(migrations) {
			return fmt.Errorf("the database's schema is version %d, newer than this risktop's %d: upgrade risktop", version, len(migrations))
		}
		for v := version; v < len(migrations); v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE risktop_schema SET version = $1`, v+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// SchemaVersion is the version the database is at.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT version FROM risktop_schema`).Scan(&v)
	return v, err
}
