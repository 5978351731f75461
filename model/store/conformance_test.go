package store_test

import (
	"path/filepath"
	"testing"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/storetest"
)

// TestConformance runs the store conformance suite on SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Fixture { return sqliteFixture(t, nil) })
}

// TestConformanceAlertsUncached runs the alert cases on SQLite stores
// whose alert cache keeps three alerts and never lists the live ones:
// the way a store with more live alerts than it lists finds them.
func TestConformanceAlertsUncached(t *testing.T) {
	storetest.RunCases(t, storetest.AlertCases(t), func(t *testing.T) storetest.Fixture {
		return sqliteFixture(t, func(st *store.SQLite) { st.SetAlertCacheBounds(3, -1) })
	})
}

// sqliteFixture is a store on a new file, each store opened on it set up
// by configure (when not nil).
func sqliteFixture(t *testing.T, configure func(*store.SQLite)) storetest.Fixture {
	path := filepath.Join(t.TempDir(), "risktop.db")
	open := func(t *testing.T) store.Store {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if configure != nil {
			configure(st)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	st := open(t)
	return storetest.Fixture{Store: st, Reopen: func(t *testing.T) store.Store {
		st.Close()
		st = open(t)
		return st
	}, Second: open}
}
