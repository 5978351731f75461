package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/model"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
)

var sessionNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openStores opens n stores on one fresh database.
func openStores(t *testing.T, n int) []*Store {
	t.Helper()
	url := pgtest.NewDatabase(t)
	var out []*Store
	for range n {
		s, err := Open(context.Background(), url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

func sessionRecorded(t *testing.T, s *Store, session string) bool {
	t.Helper()
	var ok bool
	if err := s.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM sessions WHERE session = $1)`, session).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// A store whose session connection dies (its process was SIGKILLed, or
// cut off from the database) loses its lock: what it was sending, pushes
// and notifications, is taken over at once by another store, once; the
// dead session's record goes with its last claim. Both ways a connection
// ends: the server ends it (pg_terminate_backend), the client drops it.
func TestClaimsOfADeadSessionAreTakenOverAtOnce(t *testing.T) {
	for _, how := range []string{"terminated", "dropped"} {
		t.Run(how, func(t *testing.T) {
			st := openStores(t, 2)
			s1, s2 := st[0], st[1]
			ctx := context.Background()
			t0 := sessionNow
			ids, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.1", Level: model.LevelHigh}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s1.EnqueueDeliveries(ctx, []store.DeliveryMessage{{ID: "a"}, {ID: "b"}}, []string{"syslog"}, t0); err != nil {
				t.Fatal(err)
			}
			if c, err := s1.ClaimDue(ctx, t0, 10); err != nil || len(c) != 1 {
				t.Fatalf("s1 claimed %v, %v", c, err)
			}
			if c, err := s1.ClaimDeliveries(ctx, "syslog", t0, 1); err != nil || len(c) != 1 {
				t.Fatalf("s1 claimed %v, %v", c, err)
			}
			// s1 runs: s2 leaves its claims alone.
			if c, _ := s2.ClaimDue(ctx, t0.Add(time.Second), 10); len(c) != 0 {
				t.Fatalf("s2 took %v from a running s1", c)
			}
			if c, _ := s2.ClaimDeliveries(ctx, "syslog", t0.Add(time.Second), 10); len(c) != 0 {
				t.Fatalf("s2 took %v from a running s1", c)
			}

			conn := s1.claims.conn
			switch how {
			case "terminated":
				var ok bool
				if err := s2.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, conn.PgConn().PID()).Scan(&ok); err != nil || !ok {
					t.Fatalf("terminate s1's session connection: %v %v", ok, err)
				}
				waitUnlocked(t, s2, s1.claims.key)
			case "dropped":
				// Closed under s1's feet, as a killed process's socket is;
				// the server then ends the backend on its own time.
				conn.PgConn().Conn().Close()
				waitUnlocked(t, s2, s1.claims.key)
			}

			if at, ok, err := s2.NextOutboxDue(ctx); err != nil || !ok || !at.Equal(t0) {
				t.Errorf("with s1's session dead, due at %v %v (%v), want at once", at, ok, err)
			}
			if at, ok, err := s2.NextDeliveryDue(ctx, "syslog"); err != nil || !ok || !at.Equal(t0) {
				t.Errorf("with s1's session dead, next delivery at %v %v (%v), want at once", at, ok, err)
			}
			c, err := s2.ClaimDue(ctx, t0.Add(2*time.Second), 10)
			if err != nil || len(c) != 1 || c[0].ID != ids[0] || c[0].Attempts != 2 {
				t.Fatalf("s2 claimed %+v, %v; want s1's item, a second attempt", c, err)
			}
			if !sessionRecorded(t, s2, s1.session) {
				t.Error("s1's record went while its delivery was still sending")
			}
			d, err := s2.ClaimDeliveries(ctx, "syslog", t0.Add(2*time.Second), 10)
			if err != nil || len(d) != 2 || d[0].MessageID != "a" || d[0].Attempts != 2 {
				t.Fatalf("s2 claimed %+v, %v; want a (again) and b", d, err)
			}
			if sessionRecorded(t, s2, s1.session) {
				t.Error("s1's record stays with nothing of it sending")
			}
			if c, _ := s2.ClaimDue(ctx, t0.Add(3*time.Second), 10); len(c) != 0 {
				t.Errorf("claimed twice: %v", c)
			}

			// s1 was not killed after all (the database restarted): it
			// takes its lock again on its next claim, and its new claims
			// are a running session's.
			more, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.2", Level: model.LevelHigh}})
			if err != nil {
				t.Fatal(err)
			}
			if c, err := s1.ClaimDue(ctx, t0.Add(4*time.Second), 10); err != nil || len(c) != 1 || c[0].ID != more[0] {
				t.Fatalf("s1 after its connection died claimed %v, %v", c, err)
			}
			if !sessionRecorded(t, s2, s1.session) {
				t.Error("s1 claims again unrecorded")
			}
			if c, _ := s2.ClaimDue(ctx, t0.Add(5*time.Second), 10); len(c) != 0 {
				t.Errorf("s2 took %v from s1 running again", c)
			}
		})
	}
}

// waitUnlocked waits until no session holds the lock key: the server
// ends a backend whose client went away when it next reads from it.
func waitUnlocked(t *testing.T, s *Store, key int64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		var held bool
		err := s.pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_locks
			WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2)`,
			int64(lockSpaceSessions), key).Scan(&held)
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the dropped connection's lock is still held after 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Close removes the store's record and frees its lock, unless it leaves
// something sending: then the record stays, as a gone session's does,
// until another store takes its claims over.
func TestCloseEndsTheSession(t *testing.T) {
	st := openStores(t, 3)
	s1, s2, s3 := st[0], st[1], st[2]
	ctx := context.Background()
	t0 := sessionNow
	if _, err := s1.Enqueue(ctx, []model.OutboxItem{{Created: t0, IP: "192.0.2.1", Level: model.LevelHigh}}); err != nil {
		t.Fatal(err)
	}
	// A claim of nothing records the session all the same.
	if c, err := s3.ClaimDue(ctx, t0.Add(-time.Hour), 10); err != nil || len(c) != 0 {
		t.Fatalf("s3 claimed %v, %v", c, err)
	}
	c, err := s1.ClaimDue(ctx, t0, 10)
	if err != nil || len(c) != 1 {
		t.Fatalf("s1 claimed %v, %v", c, err)
	}
	if !sessionRecorded(t, s2, s1.session) || !sessionRecorded(t, s2, s3.session) {
		t.Fatal("claimers not recorded")
	}
	if err := s3.Close(); err != nil {
		t.Fatal(err)
	}
	if sessionRecorded(t, s2, s3.session) {
		t.Error("s3's record stays after Close")
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if !sessionRecorded(t, s2, s1.session) {
		t.Error("s1's record went while its item was sending")
	}
	if c, err := s2.ClaimDue(ctx, t0.Add(time.Second), 10); err != nil || len(c) != 1 {
		t.Fatalf("s2 claimed %v, %v; want s1's item at once", c, err)
	}
	if sessionRecorded(t, s2, s1.session) {
		t.Error("s1's record stays after its item was taken over")
	}
}

// The audit log refuses changes at the table, whoever asks.
func TestAuditTableIsAppendOnly(t *testing.T) {
	s := openStores(t, 1)[0]
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.AppendAudit(ctx, model.AuditEntry{At: sessionNow, Action: "push-ip", Target: fmt.Sprint(i), Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, stmt := range []string{`UPDATE audit SET result = 'refused'`, `DELETE FROM audit`,
		`DELETE FROM audit WHERE id = 12345`, `TRUNCATE audit`} {
		if _, err := s.pool.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", stmt, err)
		}
	}
	if es, _ := s.Audit(ctx, 0, 100); len(es) != 3 || es[0].Result != "ok" {
		t.Errorf("after refused changes: %+v", es)
	}
}
