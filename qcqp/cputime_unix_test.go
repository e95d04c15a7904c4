//go:build !js && !wasip1 && !windows

package qcqp

import (
	"syscall"
	"time"
)

// cpuClock is the process's CPU time (user + system), which a loaded
// machine does not inflate the way it inflates wall time.
func cpuClock() (time.Duration, string) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, "wall"
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), "cpu"
}
