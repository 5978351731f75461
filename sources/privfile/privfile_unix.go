//go:build unix

package privfile

import (
	"errors"
	"io/fs"
	"syscall"
)

const oNoFollow = syscall.O_NOFOLLOW

func owner(info fs.FileInfo) (int, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
