package postgres_test

import (
	"context"
	"os"
	"strings"
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
	storetest.Run(t, func(t *testing.T) storetest.Fixture {
		st, url := openDB(t)
		open := func(t *testing.T) store.Store {
			next, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err != nil {
				t.Fatal(err)
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
	})
}

// TestConformanceAlertsUncached runs the alert cases on stores whose
// alert cache keeps three alerts and never lists the live ones: the way
// a store with more live alerts than it lists finds them.
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
		st, url := openDB(t)
		st.SetAlertCacheBounds(3, -1)
		open := func(t *testing.T) store.Store {
			next, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			next.SetAlertCacheBounds(3, -1)
			t.Cleanup(func() { next.Close() })
			return next
		}
		var cur store.Store = st
		return storetest.Fixture{Store: st, Reopen: func(t *testing.T) store.Store {
			cur.Close()
			cur = open(t)
			return cur
		}, Second: open}
	})
}
