//go:build js || wasip1 || windows

package qcqp

import "time"

var wallStart = time.Now()

// cpuClock falls back to wall time where the process's CPU time cannot
// be read (GOOS=js: Go's wasm runs on one thread of node).
func cpuClock() (time.Duration, string) { return time.Since(wallStart), "wall" }
