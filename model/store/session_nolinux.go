//go:build !linux

package store

// processStarted is unknown outside Linux: a pid alone identifies a
// process (a reused pid keeps a crashed process's claims until the send
// lease runs out).
func processStarted(pid int) (started string, zombie bool) { return "", false }
