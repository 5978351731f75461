package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/risktop/risktop/config"
)

// openLog opens the log file for a command that draws the dashboard: the
// terminal belongs to the UI, so everything worth saying goes to a file.
// An empty path means $XDG_STATE_HOME/risktop/risktop.log, beside the
// store. The file is private (0600 in a 0700 directory): errors can name
// users and addresses.
func openLog(path string, getenv func(string) string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		db, err := config.DefaultStorePath(getenv)
		if err != nil {
			return nil, nil, fmt.Errorf("log: no default location (%v); name a file with --log", err)
		}
		path = filepath.Join(filepath.Dir(db), "risktop.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("log: cannot create the directory of %s: %v; name another file with --log", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log: cannot open %s: %v; name another file with --log", path, err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), f, nil
}

// discardLog is the logger when no file could be opened.
func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
