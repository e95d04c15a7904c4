//go:build wasip1 || windows

package qcqp

import "time"

var wallStart = time.Now()

// cpuClock falls back to wall time where the process's CPU time cannot
// be read.
func cpuClock() (time.Duration, string) { return time.Since(wallStart), "wall" }
