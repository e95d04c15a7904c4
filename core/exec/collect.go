package exec

import (
	"runtime"
	"runtime/debug"
)

// collectLoadGarbage collects the garbage of loading a model (the decoded
// model's structures, shape inference, the session's planning) before the
// activation arena is allocated (SessionOptions.CollectFirstRun).
//
// A collection alone frees that garbage inside the heap, but the arena is
// one block of the peak's size, which the freed spans, scattered among the
// weights' and the session's live ones, rarely hold: it takes new pages,
// and the freed ones stay resident, since the runtime returns free memory
// to the OS only as the heap nears its goal, which the weights make twice
// their size. Natively they are returned now (debug.FreeOSMemory: a
// collection, then every free page released), which took DenseNet-121's
// peak RSS from 53.8 to 51.2 MiB (docs/benchmarks.md). In wasm the linear
// memory never shrinks, so a collection is all there is to do.
func collectLoadGarbage() {
	if runtime.GOARCH == "wasm" {
		runtime.GC()
		return
	}
	debug.FreeOSMemory()
}
