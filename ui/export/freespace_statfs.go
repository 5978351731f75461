//go:build linux || darwin || freebsd

package export

import "syscall"

// statfsFree is what statfs(2) says of the filesystem holding dir: the
// bytes an unprivileged user may still write (root's reserve left out),
// and its size.
func statfsFree(dir string) (free, size uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	return uint64(max(int64(st.Bavail), 0)) * bs, uint64(st.Blocks) * bs, nil
}
