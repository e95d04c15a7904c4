//go:build js

package qcqp

import (
	"syscall/js"
	"time"
)

// cpuClock is node's process CPU time (process.cpuUsage, user + system):
// Go's wasm runs on node's main thread, so it is the solver's CPU time.
func cpuClock() (time.Duration, string) {
	u := js.Global().Get("process").Call("cpuUsage")
	us := u.Get("user").Float() + u.Get("system").Float()
	return time.Duration(us * float64(time.Microsecond)), "cpu"
}
