package nn

import "sync"

// scratchPool recycles the im2col/col2im buffers so that a forward pass
// allocates them once, not once per layer call. (Go's wasm is single
// threaded; the pool also serves concurrent native callers.)
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// getScratch returns a buffer of length n (contents undefined) and the
// handle to give back to putScratch.
func getScratch(n int) (*[]float32, []float32) {
	h := scratchPool.Get().(*[]float32)
	if cap(*h) < n {
		*h = make([]float32, n)
	}
	return h, (*h)[:n]
}

func putScratch(h *[]float32) { scratchPool.Put(h) }
