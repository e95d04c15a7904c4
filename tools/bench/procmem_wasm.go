//go:build wasm

package main

import "syscall/js"

// processMemory returns the size of the module's linear memory, now and
// at its peak, which are the same: it never shrinks. tools/wasmexec's
// runner provides it (pareWasmMemoryBytes); ok is false under another host.
func processMemory() (now, peak uint64, ok bool) {
	f := js.Global().Get("pareWasmMemoryBytes")
	if f.Type() != js.TypeFunction {
		return 0, 0, false
	}
	n := uint64(f.Invoke().Float())
	return n, n, true
}
