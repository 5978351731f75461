package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/store/pgtest"
)

// A database that does not answer yet is waited for, each wait said; one
// that refuses (no such database) ends the wait at once.
func TestOpenStoreWaitsForTheDatabase(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var said []string
	st, err := OpenStoreWaiting(ctx, &config.Config{StoreURL: url}, func(err error, in time.Duration) {
		said = append(said, err.Error())
		if len(said) == 2 {
			if err := srv.Start(); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatalf("after the database came up: %v", err)
	}
	st.Close()
	if len(said) < 2 || !strings.Contains(said[0], "the PostgreSQL database did not answer") {
		t.Errorf("said %q", said)
	}

	missing := strings.Replace(url, "/t", "/nope", 1)
	said = nil
	if _, err := OpenStoreWaiting(ctx, &config.Config{StoreURL: missing}, func(err error, _ time.Duration) {
		said = append(said, err.Error())
	}); err == nil || !strings.Contains(err.Error(), "does not exist") || len(said) != 0 {
		t.Errorf("a missing database: %v, said %q", err, said)
	}
}
