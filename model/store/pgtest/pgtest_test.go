package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// A fresh database answers, has pg_trgm to install, and a server of a
// test's own survives a restart with its data.
func TestThrowawayServer(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION pg_trgm"); err != nil {
		t.Fatal(err)
	}
	var sim float64
	if err := conn.QueryRow(ctx, "SELECT similarity('risktop', 'risk')").Scan(&sim); err != nil || sim <= 0 {
		t.Fatalf("similarity %v, %v", sim, err)
	}

	own := Start(t)
	url := own.NewDatabase(t)
	c2, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	if err := own.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Ping(ctx); err == nil {
		t.Fatal("a connection from before the restart still answers")
	}
	c3, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close(ctx)
	var n int
	if err := c3.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after the restart: %d, %v", n, err)
	}
}
