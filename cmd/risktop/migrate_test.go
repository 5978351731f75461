package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// risktop migrate copies a SQLite store and prints each table's counts;
// run again into the same database it refuses; a wrong --to is a usage
// error that shows no password.
func TestMigrateCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var evs []model.Event
	for i := range 300 {
		evs = append(evs, model.Event{Vendor: "onelogin", ID: string(rune('a'+i%26)) + time.Duration(i).String(), Time: at.Add(-time.Duration(i) * time.Minute),
			Type: 6, TypeName: "USER_FAILED_ONELOGIN_LOGIN", UserKey: "ava@example.com", IP: "203.0.113.9", Score: model.NoScore})
	}
	if _, err := st.PutEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendAudit(context.Background(), model.AuditEntry{At: at, Actor: "os:ops", Action: "push-ip", Result: "ok"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	url := pgtest.NewDatabase(t)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--from", path, "--to", url}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"events     300         300", "audit       1           1"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "every count matches") {
		t.Errorf("stderr: %s", errOut.String())
	}

	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"migrate", "--from", path, "--to", url}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "already holds data") {
		t.Errorf("a second migrate: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"migrate", "--from", path, "--to", "mysql://u:hunter2@h/db"}, &out, &errOut); code != 2 ||
		strings.Contains(errOut.String(), "hunter2") {
		t.Errorf("a wrong --to: exit %d: %s", code, errOut.String())
	}
}
