package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/pgtest"
	"github.com/risktop/risktop/model/store/postgres"
	"github.com/risktop/risktop/model/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openDB opens a store on a fresh database of the shared test server.
func openDB(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	url := pgtest.NewDatabase(t)
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, url
}

// TestConformance runs the store conformance suite on PostgreSQL.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Fixture { return pgFixture(t, nil) })
}

// TestConformanceAlertsUncached runs the alert cases on stores whose
// alert cache keeps three alerts and never lists the live ones: the way
// a store with more live alerts than it lists finds them.
func TestConformanceAlertsUncached(t *testing.T) {
	storetest.RunCases(t, storetest.AlertCases(t), func(t *testing.T) storetest.Fixture {
		return pgFixture(t, func(st *postgres.Store) { st.SetAlertCacheBounds(3, -1) })
	})
}

// pgFixture is a store on a fresh database, each store opened on it set
// up by configure (when not nil).
func pgFixture(t *testing.T, configure func(*postgres.Store)) storetest.Fixture {
	st, url := openDB(t)
	if configure != nil {
		configure(st)
	}
	open := func(t *testing.T) store.Store {
		next, err := postgres.Open(context.Background(), url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if configure != nil {
			configure(next)
		}
		t.Cleanup(func() { next.Close() })
		return next
	}
	var cur store.Store = st
	return storetest.Fixture{Store: st, Reopen: func(t *testing.T) store.Store {
		cur.Close()
		cur = open(t)
		return cur
	}, Second: open}
}
