//go:build !wasm

package main

import (
	"os"
	"runtime/pprof"
)

// The profiles (-cpuprofile, -memprofile) are native only. Linking
// runtime/pprof keeps the runtime's memory profiler on, whose hash table
// of stacks (1.4 MiB) is sampled into existence at start-up: natively
// mapped pages mostly never touched, but in wasm 1.4 MiB of linear memory
// that the page and the CLI, which do not link it, never pay. So the wasm
// build leaves it out (profile_wasm.go) and measures what they hold.

// canProfile: this build writes profiles.
const canProfile = true

// startCPUProfile starts a CPU profile into path; stop closes the file.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func stopCPUProfile() { pprof.StopCPUProfile() }

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}
