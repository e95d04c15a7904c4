package exec

import (
	"github.com/pare-ml/pare/core/tensor"
)

// Stats describes the memory behaviour of the last Run.
type Stats struct {
	// PeakLiveBytes is the largest total size of intermediate values alive
	// at the same time (graph inputs and constants are not counted).
	PeakLiveBytes int64
	// ActivationBytes is the total size of every value the run produced:
	// what the run would have needed without freeing anything.
	ActivationBytes int64
	// AllocatedBytes is memory newly allocated for outputs during the run;
	// ReusedBytes was served from buffers freed earlier (in this run or a
	// previous one).
	AllocatedBytes int64
	ReusedBytes    int64
}

// bufferPool recycles the buffers of values whose last consumer has run.
// A buffer is reused only for a tensor of the same dtype and element
// count, which is what repeated layers of a CNN allocate.
type bufferPool struct {
	free   map[poolKey][]*tensor.Tensor
	inPool map[*tensor.Tensor]bool
	live   int64
	stats  Stats
}

type poolKey struct {
	dt tensor.DType
	n  int
}

func newBufferPool() *bufferPool {
	return &bufferPool{free: map[poolKey][]*tensor.Tensor{}, inPool: map[*tensor.Tensor]bool{}}
}

// elemBytes is the storage size of one element of dt.
func elemBytes(dt tensor.DType) int64 {
	switch dt {
	case tensor.Float64, tensor.Int64:
		return 8
	case tensor.Float32, tensor.Int32:
		return 4
	}
	return 1
}

func tensorBytes(t *tensor.Tensor) int64 { return int64(t.Len()) * elemBytes(t.DType) }

// get returns a zeroed tensor of the given type and shape, reusing a free
// buffer when one fits.
func (p *bufferPool) get(dt tensor.DType, shape []int) *tensor.Tensor {
	return p.take(dt, shape, true)
}

// take serves get and getUninit: a free buffer of the same size (cleared
// when zero is set), else a new zeroed tensor.
func (p *bufferPool) take(dt tensor.DType, shape []int, zero bool) *tensor.Tensor {
	k := poolKey{dt, tensor.NumElements(shape)}
	if l := p.free[k]; len(l) > 0 {
		t := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[k] = l[:len(l)-1]
		delete(p.inPool, t)
		if zero {
			clearData(t)
		}
		t.Shape = append(t.Shape[:0], shape...)
		p.stats.ReusedBytes += tensorBytes(t)
		return t
	}
	t := tensor.New(dt, shape)
	p.stats.AllocatedBytes += tensorBytes(t)
	return t
}

// getUninit is get for kernels that write every element of their outputs
// (Conv, fused or not): a recycled buffer keeps its stale contents instead
// of being cleared first, a pass over memory the kernel would only repeat.
func (p *bufferPool) getUninit(dt tensor.DType, shape []int) *tensor.Tensor {
	return p.take(dt, shape, false)
}

// put makes t's buffer available for reuse. The caller guarantees nothing
// else references t.
func (p *bufferPool) put(t *tensor.Tensor) {
	if t == nil || p.inPool[t] || dataLen(t) != t.Len() {
		return
	}
	p.inPool[t] = true
	k := poolKey{t.DType, t.Len()}
	p.free[k] = append(p.free[k], t)
}

// produced records a new live value; released records its end.
func (p *bufferPool) produced(t *tensor.Tensor) {
	b := tensorBytes(t)
	p.live += b
	p.stats.ActivationBytes += b
	p.stats.PeakLiveBytes = max(p.stats.PeakLiveBytes, p.live)
}

func (p *bufferPool) released(t *tensor.Tensor) { p.live -= tensorBytes(t) }

func clearData(t *tensor.Tensor) {
	clear(t.F32)
	clear(t.F64)
	clear(t.I64)
	clear(t.I32)
	clear(t.I8)
	clear(t.U8)
	clear(t.Bool)
}
