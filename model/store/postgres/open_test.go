package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
)

// Open says plainly what is wrong — a URL that is not one, a server that
// refuses, a database that does not exist, a role that may not create the
// tables, a newer schema — and never shows the password.
func TestOpenSaysWhatIsWrong(t *testing.T) {
	srv := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sock := strings.Split(strings.Split(srv.URL("x"), "host=")[1], "&")[0]
	admin, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE ROLE viewer LOGIN PASSWORD 'hunter2'`, `CREATE DATABASE team`, `CREATE DATABASE newer`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	admin.Close(ctx)
	newer, err := postgres.Open(ctx, srv.URL("newer"), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newer.Pool().Exec(ctx, `UPDATE risktop_schema SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	newer.Close()

	cases := []struct {
		name, url, want string
		stopped         bool
	}{
		{"not a URL", "postgres://viewer:hunter2@[::1", "is not a PostgreSQL URL", false},
		{"no such database", "postgres://viewer:hunter2@/nope?host=" + sock, `database "nope" does not exist`, false},
		{"no CREATE", "postgres://viewer:hunter2@/team?host=" + sock, "cannot create tables", false},
		{"a newer schema", srv.URL("newer"), "newer than this risktop", false},
		{"refused", "postgres://viewer:hunter2@/team?host=" + sock, "connect", true},
	}
	for _, c := range cases {
		if c.stopped {
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
		}
		st, err := postgres.Open(ctx, c.url, postgres.Options{})
		if err == nil {
			st.Close()
			t.Errorf("%s: opened", c.name)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the password shows: %v", c.name, err)
		}
	}
}
