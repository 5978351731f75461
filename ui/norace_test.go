//go:build !race

package ui

import "time"

// frameBound is issue 4's bound for a key's frame: Update and View, median.
const frameBound = 2 * time.Millisecond
