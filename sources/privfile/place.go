package privfile

import (
	"io/fs"
	"os"
	"path/filepath"
)

// MkdirPrivate makes dir (0700 for what it creates) for a directory
// risktop creates files in by name (logs, exports). It refuses a
// directory another user owns or can write, and also one that another
// user could swap or redirect after the check: the directory, or a
// symbolic link naming it, sitting in a directory others can write
// (unless that one is sticky, like /tmp, and the entry is this user's or
// root's); the same for the real directory a link leads to.
func MkdirPrivate(dir string) error {
	dir = filepath.Clean(dir)
	// Where it would be made is checked first, so a refusal makes nothing.
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		if _, err := os.Lstat(filepath.Dir(p)); err == nil {
			if err := checkParent(p, "directory"); err != nil {
				return err
			}
			break
		}
	}
	if err := mkdirAll(dir); err != nil {
		return err
	}
	if err := checkPlace(dir); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if real != dir {
		return checkPlace(real)
	}
	return nil
}

// checkPlace refuses path when another user could replace it: it belongs
// to another user, or its directory is writable by group or others
// without the sticky bit that keeps them from renaming what is not
// theirs.
func checkPlace(path string) error {
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	what := "directory"
	if info.Mode()&fs.ModeSymlink != 0 {
		what = "symbolic link"
	}
	if uid, ok := owner(info); ok && uid != os.Getuid() && uid != 0 {
		return unsafef("%s %s belongs to another user (uid %d), who could point it elsewhere; use one of your own", what, path, uid)
	}
	return checkParent(path, what)
}

// checkParent refuses path's directory when others can write it and it
// is not sticky.
func checkParent(path, what string) error {
	parent := filepath.Dir(path)
	if parent == path {
		return nil // the root directory
	}
	pinfo, err := os.Stat(parent)
	if err != nil {
		return err
	}
	perm := pinfo.Mode().Perm()
	if perm&0o022 == 0 || pinfo.Mode()&fs.ModeSticky != 0 {
		return nil
	}
	return unsafef("%s %s is in %s, which other users can write to (mode %04o), so one of them could replace it and redirect what risktop writes there; run chmod go-w %s, or use a directory of your own",
		what, path, parent, perm, parent)
}
