package main

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/risktop/risktop/config"
	"github.com/risktop/risktop/sources/privfile"
)

// openLog opens the log file for a command that draws the dashboard: the
// terminal belongs to the UI, so everything worth saying goes to a file.
// An empty path means $XDG_STATE_HOME/risktop/risktop.log, beside the
// store. The file is private (0600 in a 0700 directory): errors can name
// users and addresses. A symlink, or a file or directory another user can
// write, is refused (privfile).
func openLog(path string, getenv func(string) string) (*slog.Logger, io.Closer, error) {
	if path == "" {
		db, err := config.DefaultStorePath(getenv)
		if err != nil {
			return nil, nil, fmt.Errorf("log: no default location (%v); name a file with --log", err)
		}
		path = filepath.Join(filepath.Dir(db), "risktop.log")
	}
	f, err := privfile.OpenAppend(path)
	if err != nil {
		return nil, nil, fmt.Errorf("log: cannot open %s: %v; name another file with --log", path, err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), f, nil
}

// discardLog is the logger when no file could be opened.
func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
