package store

import (
	"os"
	"strconv"
	"strings"
)

// processStarted is when the process started, in clock ticks after boot
// (field 22 of /proc/<pid>/stat), and whether it is a zombie (ended, not
// yet reaped); "" when it cannot be read.
func processStarted(pid int) (started string, zombie bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// or parentheses itself: the fields resume after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, the state
	if len(f) < 20 {
		return "", false
	}
	return f[19], f[0] == "Z"
}
