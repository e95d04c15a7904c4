package nn

// scratchFree is a leaky free list of im2col/col2im buffers (the Effective
// Go pattern), so that a forward pass allocates its scratch once, not once
// per layer call. It keeps one buffer: Pare's kernels run one layer at a
// time, and a sync.Pool kept one per P natively (and its victim copy
// through a collection), each sized for the largest layer. A concurrent
// caller that finds the list empty allocates its own buffer, which the
// collector takes back when the list is full again.
var scratchFree = make(chan *[]float32, 1)

// getScratch returns a buffer of length n (contents undefined) and the
// handle to give back to putScratch.
func getScratch(n int) (*[]float32, []float32) {
	var h *[]float32
	select {
	case h = <-scratchFree:
	default:
		h = new([]float32)
	}
	if cap(*h) < n {
		*h = make([]float32, n)
	}
	return h, (*h)[:n]
}

func putScratch(h *[]float32) {
	select {
	case scratchFree <- h:
	default:
	}
}

// ReserveScratch makes the shared scratch buffer at least n floats long.
// A network's layers ask for scratch of growing sizes, and each time the
// buffer grows the smaller one becomes garbage, which the collector takes
// only once the heap has doubled: ResNet-18's first run left 1.9 MB of it
// beside the 1.8 MB it kept, DenseNet-121's 1.0 MB (docs/benchmarks.md). A
// caller that knows its convolutions (ConvScratchFloats) reserves their
// largest before the first one runs, and the buffer is allocated once.
// A caller that plans its memory does better: core/exec's sessions pass
// each convolution its scratch from their arena (ConvFusedIntoCol), where
// this buffer would be held beside it.
func ReserveScratch(n int) {
	h, _ := getScratch(n)
	putScratch(h)
}
