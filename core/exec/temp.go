package exec

import "github.com/pare-ml/pare/core/tensor"

// Kernel temporaries from the run's pool. A convolution that unrolls its
// col matrix needs up to 1 MiB of scratch for the length of one step; held
// by core/nn between steps and after the runs (nn.ReserveScratch), it added
// its largest size to the process beside the arena, which at most steps
// has that much room free (docs/benchmarks.md). Asked of the pool as a
// float32 request and released before the step's own releases, it is one
// more buffer of the run's trace: the arena places it where nothing else
// is alive during that step, and the trace predicted ahead (ahead.go)
// carries it at the same point.

// scratch returns an uninitialised float32 tensor of n elements for the
// kernel's use within this step, to give back with release before the
// kernel returns; nil outside a session's pooled run, where the kernel
// falls back to its own scratch. Neither allocates in a planned run (the
// shape is the Context's, which every pool path copies).
func (c *Context) scratch(n int) *tensor.Tensor {
	if c.temp == nil || c.free == nil || n <= 0 {
		return nil
	}
	c.tempShape[0] = n
	return c.temp(tensor.Float32, c.tempShape[:])
}

// release gives back a tensor from scratch (nil: nothing).
func (c *Context) release(t *tensor.Tensor) {
	if t != nil {
		c.free(t)
	}
}

// scratchData is t's data, nil for a nil t.
func scratchData(t *tensor.Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.F32
}
