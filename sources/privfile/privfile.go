// Package privfile opens and checks the files risktop keeps to itself:
// logs, the audit log, exports, and the SSH key lists that decide who may
// act. Each may name people and addresses, or grant power, so another
// local user must not be able to read, replace or redirect them.
//
// The rules, the same everywhere:
//   - a file is written only through a path whose last element is not a
//     symlink (O_NOFOLLOW), and is created 0600;
//   - a file or directory that grants power must be owned by this user
//     (or root) and not writable by group or others;
//   - the directory holding such a file must be too, or another user
//     could swap the file for their own.
package privfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrUnsafe marks every refusal of this package, for errors.Is.
var ErrUnsafe = errors.New("unsafe file permissions")

// unsafeError is a refusal: what is wrong and the command that fixes it.
type unsafeError struct{ msg string }

func (e *unsafeError) Error() string        { return e.msg }
func (e *unsafeError) Is(target error) bool { return target == ErrUnsafe }

func unsafef(format string, args ...any) error {
	return &unsafeError{fmt.Sprintf(format, args...)}
}

// CheckDir refuses a directory that another user could write into or
// that another user owns. dir must exist.
func CheckDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return checkOwnerAndMode(dir, info, "directory")
}

// CheckFile refuses a file (following symlinks, as a reader does) that
// another user could change: writable by group or others, owned by
// another user, or in a directory another user can write. It is for
// files that grant power, such as lists of keys.
func CheckFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if err := checkOwnerAndMode(path, info, "file"); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	return CheckDir(filepath.Dir(real))
}

// checkOwnerAndMode applies the owner and write-bit rules to one entry.
func checkOwnerAndMode(path string, info fs.FileInfo, what string) error {
	if uid, ok := owner(info); ok && uid != os.Getuid() && uid != 0 {
		return unsafef("%s %s belongs to another user (uid %d), who could change it; use one of your own (chown it to yourself)", what, path, uid)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return unsafef("%s %s can be written by other users (mode %04o); run chmod go-w %s", what, path, perm, path)
	}
	return nil
}

// mkdirAll makes dir (0700 for what it creates) and checks it.
func mkdirAll(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	return CheckDir(dir)
}

// OpenAppend opens path for appending, creating it 0600 (and its
// directory 0700) when missing. It refuses a final symlink, a path that
// is not a regular file, a file another user owns or can write, and a
// directory another user could write to, replace or redirect
// (MkdirPrivate).
func OpenAppend(path string) (*os.File, error) {
	if err := MkdirPrivate(filepath.Dir(path)); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|oNoFollow, 0o600)
	if err != nil {
		if isSymlinkRefusal(path, err) {
			return nil, unsafef("%s is a symbolic link; risktop does not write through one (another user could point it anywhere): remove it, or name the real file", path)
		}
		return nil, err
	}
	if err := checkOpened(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CreateNew creates path 0600, failing when anything is there already,
// a symlink included.
func CreateNew(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
}

// checkOpened checks the file that was opened, not the path again, so a
// swap between the two cannot slip through.
func checkOpened(f *os.File, path string) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return unsafef("%s is not a regular file", path)
	}
	return checkOwnerAndMode(path, info, "file")
}

// isSymlinkRefusal reports whether an open failed because the last
// element of path is a symlink (ELOOP from O_NOFOLLOW).
func isSymlinkRefusal(path string, err error) bool {
	if !isLoop(err) {
		return false
	}
	info, lerr := os.Lstat(path)
	return lerr == nil && info.Mode()&fs.ModeSymlink != 0
}
