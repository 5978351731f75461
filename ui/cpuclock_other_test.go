//go:build !linux

package ui

import "time"

// threadCPU falls back to the wall clock where no thread clock is read.
func threadCPU() time.Duration { return wallClock() }
