package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/migrate"
	"github.com/risktop/risktop/model/store/postgres"
)

const migrateSynopsis = `
Copy a SQLite store into an empty PostgreSQL database, for a team whose
instances will share it (store: postgres://… in their config, or
$RISKTOP_STORE). Events, people and their history, score readings,
cursors, the audit log, the outbox, notifications, alerts, saved views
and preferences are copied; each table's rows are counted on both sides
at the end. Stop every risktop using the SQLite store first.

The database must exist and be empty; the role needs CREATE on it (the
first connection creates the tables). --to defaults to $RISKTOP_STORE.

Exit status: 0 when every count matches, 1 when the copy failed or a
count differs (named on stderr), 2 for wrong arguments.`

func runMigrate(ctx context.Context, args []string, out, errOut io.Writer) error {
	fs := newFlags("migrate --from PATH.db --to postgres://…", migrateSynopsis, out, errOut)
	from := fs.String("from", "", "the SQLite store to copy (risktop.db)")
	to := fs.String("to", os.Getenv(config.StoreEnv), "the PostgreSQL database to copy into (default $"+config.StoreEnv+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *from == "":
		return failf(errOut, 2, "migrate: --from names no SQLite store")
	case !config.IsStoreURL(*to):
		return failf(errOut, 2, "migrate: --to must be a postgres:// URL (or set $%s)", config.StoreEnv)
	}
	if _, err := os.Stat(*from); err != nil {
		return failf(errOut, 1, "migrate: %v", err)
	}
	src, err := store.Open(*from, store.Options{})
	if err != nil {
		return failf(errOut, 1, "migrate: %v", err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to, postgres.Options{})
	if err != nil {
		return failf(errOut, 1, "migrate: %v", err)
	}
	defer dst.Close()
	fmt.Fprintf(errOut, "risktop migrate: %s into %s\n", *from, config.RedactURL(*to))
	last := ""
	rep, err := migrate.Copy(ctx, *from, src, dst, migrate.Options{Progress: func(table string, done, total int) {
		if table == "events" && total > 0 && (done == 0 || done == total || done%50_000 < 2000) {
			fmt.Fprintf(errOut, "  events %d of %d\n", done, total)
		} else if table != last && table != "events" {
			fmt.Fprintf(errOut, "  %s\n", table)
		}
		last = table
	}})
	if err != nil {
		return failf(errOut, 1, "migrate: %v (the PostgreSQL database keeps what was copied; drop and re-create it to start again)", err)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tSQLite\tPostgreSQL\t")
	for _, c := range rep.Counts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", c.Table, c.From, c.To)
	}
	tw.Flush()
	if bad := rep.Mismatched(); len(bad) > 0 {
		for _, c := range bad {
			fmt.Fprintf(errOut, "risktop: migrate: %s: %d rows in SQLite, %d in PostgreSQL\n", c.Table, c.From, c.To)
		}
		return exitCode(1)
	}
	fmt.Fprintln(errOut, "risktop migrate: every count matches")
	return nil
}
