package store_test

import (
	"path/filepath"
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
