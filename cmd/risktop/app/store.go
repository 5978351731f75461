package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/model/store"
	"github.com/risktop/risktop/model/store/postgres"
)

// ErrNoStore says a SQLite store does not exist yet (nothing was ever
// polled into it).
var ErrNoStore = errors.New("no store yet")

// openTimeout bounds connecting to a PostgreSQL store at start.
const openTimeout = 30 * time.Second

// OpenStore opens the config's store: the PostgreSQL database when
// store: (or $RISKTOP_STORE) is a URL, else the SQLite file, created
// when missing unless mustExist.
func OpenStore(ctx context.Context, cfg *config.Config, mustExist bool) (store.Store, error) {
	if cfg.StoreURL != "" {
		ctx, cancel := context.WithTimeout(ctx, openTimeout)
		defer cancel()
		st, err := postgres.Open(ctx, cfg.StoreURL, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("%w (the store: key in %s, or $%s)", err, cfg.Path, config.StoreEnv)
		}
		return st, nil
	}
	if mustExist && !fileExists(cfg.StorePath) {
		return nil, ErrNoStore
	}
	st, err := store.Open(cfg.StorePath, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("%w (the store: key in %s)", err, cfg.Path)
	}
	return st, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// OpenStoreWaiting is OpenStore for a long-running command (serve, the
// dashboard): a PostgreSQL database that does not answer yet (a jump host
// up before its database) is tried again, with back-off, until it does
// or ctx ends; each wait is told to say. A refusal (a missing database, a
// wrong password, no permission) ends it at once.
func OpenStoreWaiting(ctx context.Context, cfg *config.Config, say func(err error, retryIn time.Duration)) (store.Store, error) {
	wait := time.Second
	for {
		st, err := OpenStore(ctx, cfg, false)
		if err == nil || !postgres.IsUnreachable(err) {
			return st, err
		}
		say(err, wait)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, maxOpenWait)
	}
}

// maxOpenWait bounds the wait between tries of an unanswering database.
const maxOpenWait = 30 * time.Second
