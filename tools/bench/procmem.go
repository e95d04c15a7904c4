//go:build !wasm

package main

import (
	"os"
	"strconv"
	"strings"
)

// processMemory returns the process's resident memory now and at its
// peak (VmRSS and VmHWM of /proc/self/status, which count the mapped
// binary too); ok is false where there is no /proc (not Linux).
func processMemory() (now, peak uint64, ok bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	kib := func(key string) (uint64, bool) {
		for _, l := range strings.Split(string(status), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == key && f[2] == "kB" {
				v, err := strconv.ParseUint(f[1], 10, 64)
				return v << 10, err == nil
			}
		}
		return 0, false
	}
	now, ok1 := kib("VmRSS:")
	peak, ok2 := kib("VmHWM:")
	return now, peak, ok1 && ok2
}
