package store

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
)

// How two stores leave each other's live claims alone, and take over a
// closed one's, is in the conformance suite (storetest). Here the
// SQLite way of telling a killed process: its pid ended, or was reused
// by another process; its claims are then taken at once, by one process
// only, and its record goes.
func TestClaimDueTakesOverKilledProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risktop.db")
	ctx := context.Background()
	t0 := fixtureNow
	open := func() *SQLite {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s1, s2 := open(), open()
	ids, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.1", Level: model.LevelHigh}})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s1.ClaimDue(ctx, t0, 10); err != nil || len(c) != 1 {
		t.Fatalf("s1 claimed %v, %v", itemIDs(c), err)
	}
	leaseEnd := t0.Add(10 * time.Minute)
	if at, ok, err := s2.NextOutboxDue(ctx); err != nil || !ok || !at.Equal(leaseEnd) {
		t.Errorf("s2 sees it due at %v %v (%v), want the end of s1's lease %v", at, ok, err, leaseEnd)
	}

	// s1's process was killed and its pid reused by another process: it
	// started at another time.
	if runtime.GOOS == "linux" {
		if _, err := s1.write.Exec(`UPDATE sessions SET started = '1' WHERE session = ?`, s1.session); err != nil {
			t.Fatal(err)
		}
		if at, ok, _ := s2.NextOutboxDue(ctx); !ok || !at.Equal(t0) {
			t.Errorf("with s1's pid reused, due at %v %v, want at once (%v)", at, ok, t0)
		}
		if _, err := s1.write.Exec(`UPDATE sessions SET started = ? WHERE session = ?`, thisProc().started, s1.session); err != nil {
			t.Fatal(err)
		}
	}

	// s1's process was killed: no process has its pid (pids stop below 2²²).
	if _, err := s1.write.Exec(`UPDATE sessions SET pid = ? WHERE session = ?`, 1<<22+7, s1.session); err != nil {
		t.Fatal(err)
	}
	if at, ok, err := s2.NextOutboxDue(ctx); err != nil || !ok || !at.Equal(t0) {
		t.Errorf("with s1 gone, due at %v %v (%v), want at once (%v)", at, ok, err, t0)
	}
	c, err := s2.ClaimDue(ctx, t0.Add(time.Second), 10)
	if err != nil || len(c) != 1 || c[0].ID != ids[0] || c[0].Attempts != 2 {
		t.Fatalf("with s1 gone s2 claimed %+v, %v", c, err)
	}
	// Taken once: s2's claim is s2's, and s1's record is gone.
	if again, _ := s2.ClaimDue(ctx, t0.Add(2*time.Second), 10); len(again) != 0 {
		t.Errorf("claimed twice: %v", itemIDs(again))
	}
	var n int
	if err := s2.read.QueryRow(`SELECT count(*) FROM sessions WHERE session = ?`, s1.session).Scan(&n); err != nil || n != 0 {
		t.Errorf("s1's session row: %d, %v", n, err)
	}
}

func TestThisProcessRuns(t *testing.T) {
	me := thisProc()
	if me.pid != os.Getpid() || !me.running() {
		t.Fatalf("this process %+v does not run", me)
	}
	for _, p := range []proc{
		{pid: 1<<22 + 7, host: me.host, started: ""},
		{pid: me.pid, host: me.host + ".elsewhere", started: me.started},
		{pid: 0, host: me.host},
		{pid: -1, host: me.host},
	} {
		if p.running() {
			t.Errorf("%+v runs", p)
		}
	}
	if runtime.GOOS == "linux" && (me.started == "" || (proc{pid: me.pid, host: me.host, started: "1"}).running()) {
		t.Errorf("start time %q: a reused pid is not told apart", me.started)
	}
}
