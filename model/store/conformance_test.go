package store_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/storetest"
)

// TestConformance runs the store conformance suite on SQLite files.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Fixture {
		path := filepath.Join(t.TempDir(), "risktop.db")
		open := func(t *testing.T) store.Store {
			st, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
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
	})
}

// TestConformanceAlertsUncached runs the alert cases on SQLite stores
// whose alert cache keeps three alerts and never lists the live ones:
// the way a store with more live alerts than it lists finds them.
func TestConformanceAlertsUncached(t *testing.T) {
	var alertCases []storetest.Case
	for _, c := range storetest.Cases() {
		if strings.Contains(c.Name, "Alert") {
			alertCases = append(alertCases, c)
		}
	}
	if len(alertCases) < 10 {
		t.Fatalf("only %d alert cases", len(alertCases))
	}
	storetest.RunCases(t, alertCases, func(t *testing.T) storetest.Fixture {
		path := filepath.Join(t.TempDir(), "risktop.db")
		open := func(t *testing.T) store.Store {
			st, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st.SetAlertCacheBounds(3, -1)
			t.Cleanup(func() { st.Close() })
			return st
		}
		st := open(t)
		return storetest.Fixture{Store: st, Reopen: func(t *testing.T) store.Store {
			st.Close()
			st = open(t)
			return st
		}, Second: open}
	})
}
