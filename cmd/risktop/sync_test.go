package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/sources/sim/casbsim"
)

// syncThenGet runs risktop sync on config, then get events, and returns
// sync's exit code and stderr and get's JSON rows.
func syncThenGet(t *testing.T, config string) (int, string, []map[string]any) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"sync", "--config", config}, &out, &errOut)
	var gout, gerr bytes.Buffer
	if c := run(context.Background(), []string{"get", "events", "--config", config, "--json", "--limit", "0", "--since", "7d"}, &gout, &gerr); c != 0 {
		t.Fatalf("get events: exit %d\n%s", c, gerr.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(gout.Bytes(), &rows); err != nil {
		t.Fatalf("get events --json: %v\n%s", err, gout.String())
	}
	return code, errOut.String(), rows
}

func countVendor(rows []map[string]any, vendor string) int {
	n := 0
	for _, r := range rows {
		if r["vendor"] == vendor {
			n++
		}
	}
	return n
}

// risktop sim, then risktop sync, then risktop get events prints the
// simulator's events: every OneLogin event of the window, and the
// Cloudflare detections, with nothing running but sync.
func TestSyncThenGetPrintsTheSimulatorsEvents(t *testing.T) {
	srv, keyFile := startSim(t)
	config := writeConfig(t, srv.Endpoints().Config(keyFile))
	var gout, gerr bytes.Buffer
	run(context.Background(), []string{"get", "events", "--config", config, "--json"}, &gout, &gerr)
	if !strings.Contains(gerr.String(), "risktop sync") {
		t.Errorf("an empty store does not point at sync: %q", gerr.String())
	}

	before := len(srv.World.Between(time.Time{}, time.Now()))
	code, stderr, rows := syncThenGet(t, config)
	after := len(srv.World.Between(time.Time{}, time.Now().Add(time.Second)))
	if code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"onelogin: polling", "casb: caught up", "cloudflare: caught up", "okta: caught up", "4 sources caught up"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("sync's progress lacks %q:\n%s", want, stderr)
		}
	}
	ol := countVendor(rows, "onelogin")
	if before == 0 || ol < before || ol > after {
		t.Fatalf("get events shows %d OneLogin events; the simulator had %d to %d during the sync\n%s", ol, before, after, stderr)
	}
	if countVendor(rows, "cloudflare") == 0 {
		t.Errorf("no Cloudflare events after sync")
	}

	// CASB's report, as users.
	var uout, uerr bytes.Buffer
	if c := run(context.Background(), []string{"get", "users", "--config", config, "--json", "--limit", "0"}, &uout, &uerr); c != 0 {
		t.Fatalf("get users: %d %s", c, uerr.String())
	}
	if !strings.Contains(uout.String(), `"casb"`) && !strings.Contains(uout.String(), "CASB") {
		t.Errorf("no CASB users after sync:\n%.400s", uout.String())
	}

	// A second sync resumes from the stored cursors: nothing twice.
	code, stderr, again := syncThenGet(t, config)
	if code != 0 || countVendor(again, "onelogin") < ol {
		t.Fatalf("second sync: exit %d, %d events (was %d)\n%s", code, countVendor(again, "onelogin"), ol, stderr)
	}
	seen := map[string]bool{}
	for _, r := range again {
		k := fmt.Sprint(r["vendor"], "/", r["id"])
		if seen[k] {
			t.Fatalf("event %s stored twice", k)
		}
		seen[k] = true
	}
}

// A source that fails makes sync exit 1 and name it; the others' data is
// stored.
func TestSyncNamesTheSourceThatFailed(t *testing.T) {
	srv, keyFile := startSim(t)
	config := writeConfig(t, strings.Replace(srv.Endpoints().Config(keyFile), casbsim.DefaultAccessSecret, "wrong-casb-secret-0815", 1))
	code, stderr, rows := syncThenGet(t, config)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"casb: FAILED", "1 of 4 sources failed: casb", "onelogin: caught up"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "wrong-casb-secret-0815") || strings.Contains(stderr, casbsim.DefaultAccessKey) {
		t.Fatalf("a secret on stderr:\n%s", stderr)
	}
	if countVendor(rows, "onelogin") == 0 {
		t.Fatal("the sources that worked stored nothing")
	}
}

const syncHolderEnv = "RISKTOP_TEST_SYNC_HOLDER"

// TestSyncHolderChild is the other process of TestSyncBesideAnotherWriter:
// it takes the store's write lock, says so, and lets go after a while.
func TestSyncHolderChild(t *testing.T) {
	path := os.Getenv(syncHolderEnv)
	if path == "" {
		t.Skip("only as a child process")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	time.Sleep(1500 * time.Millisecond) // the lock is held this long on purpose
	if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("released")
}

// Another process holding the store's write lock (as a dashboard's or
// serve's pollers do while they write) only makes sync wait its turn.
func TestSyncBesideAnotherWriter(t *testing.T) {
	srv, keyFile := startSim(t)
	config := writeConfig(t, srv.Endpoints().Config(keyFile))
	dbPath := filepath.Join(filepath.Dir(config), "risktop.db")
	st, err := store.Open(dbPath, store.Options{}) // the file and its schema, as a dashboard leaves them
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestSyncHolderChild$")
	child.Env = append(os.Environ(), syncHolderEnv+"="+dbPath)
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "holding" {
		t.Fatalf("the child did not take the lock: %q", lines.Text())
	}

	code, stderr, rows := syncThenGet(t, config)
	if code != 0 || countVendor(rows, "onelogin") == 0 {
		t.Fatalf("sync beside a writer: exit %d, %d events\n%s", code, len(rows), stderr)
	}
	if !lines.Scan() || lines.Text() != "released" {
		t.Fatalf("the child: %q", lines.Text())
	}
}
