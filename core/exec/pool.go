package exec

import (
	"cmp"
	"slices"

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
	// PooledBytes is what the session keeps after the run for the next
	// runs' activations: the planned arena (arena.go) and free buffers.
	PooledBytes int64
	// PeakFreeBytes is the most the run's free float32 buffers held at
	// once: the free lists of a run not served by a plan (the first one,
	// which records the trace, or one that left its plan).
	PeakFreeBytes int64
}

// bufferPool recycles the buffers of values whose last consumer has run
// (see fit for which buffer serves which request).
type bufferPool struct {
	// f32 holds free float32 buffers by ascending capacity.
	f32   []*tensor.Tensor
	free  map[poolKey][]*tensor.Tensor
	live  int64
	stats Stats

	// plan, when set, serves the float32 requests of runs (arena.go);
	// rec records the trace of a run without one, and of the first run of
	// a predicted plan. ahead is the session's predicted trace (ahead.go)
	// until a run is planned from it. pos is the next event
	// of the plan's trace, deviated is set once the run left it, running
	// between beginRun and endRun. failures counts dropped plans.
	plan     *arenaPlan
	rec      *runTrace
	ahead    *aheadTrace
	pos      int
	deviated bool
	running  bool
	failures int

	// freeBytes is what f32 holds. collectTrace is
	// SessionOptions.CollectFirstRun; dropped counts the bytes dropFree let
	// go since its last collection.
	freeBytes    int64
	collectTrace bool
	dropped      int64
}

type poolKey struct {
	dt tensor.DType
	n  int
}

func newBufferPool(collectTrace bool, ahead *aheadTrace) *bufferPool {
	return &bufferPool{free: map[poolKey][]*tensor.Tensor{}, collectTrace: collectTrace, ahead: ahead}
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

// take serves get and getUninit: a free buffer that fits (cleared when
// zero is set), else a new zeroed tensor.
func (p *bufferPool) take(dt tensor.DType, shape []int, zero bool) *tensor.Tensor {
	n := tensor.NumElements(shape)
	if dt == tensor.Float32 && p.plan != nil {
		if t, ok := p.planTake(shape, n, zero); ok {
			if p.rec != nil {
				p.rec.request(t, n)
			}
			return t
		}
	}
	t := p.fit(dt, n)
	if t == nil && dt == tensor.Float32 && p.rec != nil && p.collectTrace {
		p.dropFree()
	}
	if t != nil {
		if zero {
			clearData(t)
		}
		t.Shape = append(t.Shape[:0], shape...)
		p.stats.ReusedBytes += tensorBytes(t)
	} else {
		t = tensor.New(dt, shape)
		p.stats.AllocatedBytes += tensorBytes(t)
	}
	if p.rec != nil && dt == tensor.Float32 {
		p.rec.request(t, n)
	}
	return t
}

// fit removes and returns a free buffer for n elements of dt, or nil.
// Float32 buffers (a CNN's activations) are kept by capacity and the
// smallest one of at least n and at most reuseSlack*n serves, resliced to
// n: halving feature maps (64x56x56 after 128x28x28's producer is gone)
// then share storage. Other dtypes are reused at the same size only.
func (p *bufferPool) fit(dt tensor.DType, n int) *tensor.Tensor {
	if dt == tensor.Float32 {
		l := p.f32
		i, _ := slices.BinarySearchFunc(l, n, func(t *tensor.Tensor, n int) int { return cmp.Compare(cap(t.F32), n) })
		if i == len(l) || cap(l[i].F32) > reuseSlack*n {
			return nil
		}
		t := l[i]
		p.f32 = slices.Delete(l, i, i+1)
		p.freeBytes -= int64(cap(t.F32)) * 4
		t.F32 = t.F32[:n]
		return t
	}
	k := poolKey{dt, n}
	l := p.free[k]
	if len(l) == 0 {
		return nil
	}
	t := l[len(l)-1]
	l[len(l)-1] = nil
	p.free[k] = l[:len(l)-1]
	return t
}

// reuseSlack bounds the waste of serving a request from a larger buffer.
const reuseSlack = 2

// getUninit is get for kernels that write every element of their outputs
// (Conv, fused or not): a recycled buffer keeps its stale contents instead
// of being cleared first, a pass over memory the kernel would only repeat.
func (p *bufferPool) getUninit(dt tensor.DType, shape []int) *tensor.Tensor {
	return p.take(dt, shape, false)
}

// put makes t's buffer available for reuse. The caller guarantees nothing
// else references t. A tensor already free is not added twice: the free
// lists hold the few buffers dead at one time, so a scan of the list it
// would join is cheaper than the set of free tensors a map kept (an
// insert and a delete per value per run).
func (p *bufferPool) put(t *tensor.Tensor) {
	if t == nil || dataLen(t) != t.Len() {
		return
	}
	if t.DType == tensor.Float32 {
		if p.plan != nil {
			if p.rec != nil {
				p.rec.release(t) // a predicted plan's run records too
			}
			if p.planPut(t) {
				return
			}
		}
		if slices.Contains(p.f32, t) {
			return
		}
		if p.rec != nil {
			p.rec.release(t)
		}
		i, _ := slices.BinarySearchFunc(p.f32, cap(t.F32), func(u *tensor.Tensor, c int) int { return cmp.Compare(cap(u.F32), c) })
		p.f32 = slices.Insert(p.f32, i, t)
		p.freeBytes += int64(cap(t.F32)) * 4
		p.stats.PeakFreeBytes = max(p.stats.PeakFreeBytes, p.freeBytes)
		return
	}
	k := poolKey{t.DType, t.Len()}
	if slices.Contains(p.free[k], t) {
		return
	}
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
