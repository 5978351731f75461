//go:build !unix

package privfile

import "io/fs"

// Elsewhere there is no O_NOFOLLOW and no uid: the mode bits still count.
const oNoFollow = 0

func owner(fs.FileInfo) (int, bool) { return 0, false }

func isLoop(error) bool { return false }
