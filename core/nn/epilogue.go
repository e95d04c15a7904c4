package nn

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/pare-ml/pare/core/tensor"
)

// Epilogue is what a fused Conv does to its output after the convolution
// and the bias, while the output is still in cache: add Residual (a tensor
// shaped like the output: a ResNet shortcut), then clamp to [Min, Max]
// (Relu is [0, +Inf], ReLU6 is [0, 6]). The zero Epilogue does nothing.
// The executor builds one when a Conv's output feeds only an Add and a
// Relu or Clip, which saves a pass over memory and a buffer per fused node.
type Epilogue struct {
	Residual *tensor.Tensor
	Clamp    bool
	Min, Max float32
}

// ReluEpilogue clamps to [0, +Inf].
func ReluEpilogue() Epilogue { return Epilogue{Clamp: true, Min: 0, Max: float32(math.Inf(1))} }

// check verifies the residual against the output.
func (e *Epilogue) check(y *tensor.Tensor) error {
	if r := e.Residual; r != nil {
		if r.DType != tensor.Float32 || len(r.F32) != r.Len() || !slices.Equal(r.Shape, y.Shape) {
			return fmt.Errorf("Conv: fused residual %v %v must be float32 shaped like the output %v", r.DType, r.Shape, y.Shape)
		}
	}
	if e.Clamp && !(e.Min <= e.Max) {
		return fmt.Errorf("Conv: fused clamp range [%v, %v] is empty", e.Min, e.Max)
	}
	return nil
}

// clampInPlace applies the clamp of e to v. A lower bound of 0 (Relu,
// ReLU6) is applied without a branch, by clearing negative values through
// their sign bit: half the values of an activation are negative, in no
// predictable order, and in WebAssembly the mispredicted branches of a
// compare-and-set loop made it as slow as a GEMM. -0 and negative NaNs
// become +0 (the clamp of a NaN is unspecified by ONNX). In WebAssembly
// with the SIMD kernel module, the module's clamp does it four at a time
// (-0 becomes +0 there too; NaNs stay NaN).
func (e *Epilogue) clampInPlace(v []float32) {
	if !e.Clamp {
		return
	}
	lo, hi := e.Min, e.Max
	if simdClamp(v, lo, hi) { // the wasm SIMD kernel, when there is one
		return
	}
	switch {
	case lo == 0 && math.IsInf(float64(hi), 1):
		relu(v)
	case lo == 0 && hi >= 0:
		clampZeroToMax(v, hi)
	default:
		for i, x := range v {
			if x < lo {
				v[i] = lo
			} else if x > hi {
				v[i] = hi
			}
		}
	}
}

// relu clears the negative values of v, two at a time in 64-bit integer
// arithmetic (see clampZeroToMax).
func relu(v []float32) {
	const lanes = 0x0000_0001_0000_0001
	if pairs := len(v) / 2; pairs > 0 {
		w := unsafe.Slice((*uint64)(unsafe.Pointer(&v[0])), pairs)
		for i, x := range w {
			w[i] = x &^ (((x >> 31) & lanes) * 0xFFFF_FFFF)
		}
	}
	if len(v)%2 == 1 {
		x := math.Float32bits(v[len(v)-1])
		v[len(v)-1] = math.Float32frombits(x &^ uint32(int32(x)>>31))
	}
}

// clampZeroToMax clamps v to [0, hi] (ReLU6 and friends) two values at a
// time in 64-bit integer arithmetic, branch-free: Go's WebAssembly has no
// SIMD, and this halves the loads, stores and operations of the scalar
// loop. After clearing negative values every bit pattern is that of a
// non-negative float, and those order like the integers, so the upper
// bound is a per-lane integer compare: with bit 31 of each lane clear,
// (hi | 1<<31) - x keeps bit 31 exactly when x <= hi. NaNs with the sign
// bit clear compare above hi and become hi.
func clampZeroToMax(v []float32, hi float32) {
	const lanes = 0x0000_0001_0000_0001
	const high = 0x8000_0000_8000_0000
	hb := uint64(math.Float32bits(hi)) * lanes
	pairs := len(v) / 2
	if pairs > 0 {
		w := unsafe.Slice((*uint64)(unsafe.Pointer(&v[0])), pairs)
		for i, x := range w {
			x &^= ((x >> 31) & lanes) * 0xFFFF_FFFF // negative lanes to +0
			over := ((^((hb | high) - x)) >> 31 & lanes) * 0xFFFF_FFFF
			w[i] = x&^over | hb&over
		}
	}
	if len(v)%2 == 1 {
		x := math.Float32bits(v[len(v)-1])
		x &^= uint32(int32(x) >> 31)
		v[len(v)-1] = math.Float32frombits(min(x, math.Float32bits(hi)))
	}
}

// initOutput writes what the GEMM accumulates onto: the bias of each
// output channel plus the residual, and reports whether y now holds
// anything (so the GEMM's beta must be 1). y starts zeroed or holds stale
// data from a recycled buffer; both are overwritten here when it matters.
func initOutput(y []float32, b *tensor.Tensor, residual *tensor.Tensor, batch, channels, planeSize int) bool {
	if b != nil {
		var res []float32
		if residual != nil {
			res = residual.F32
		}
		if simdBiasInit(y, b.F32, res, batch, channels, planeSize) { // the wasm SIMD kernel, when there is one
			return true
		}
	}
	switch {
	case residual != nil && b != nil:
		for n := 0; n < batch; n++ {
			for m := 0; m < channels; m++ {
				lo := (n*channels + m) * planeSize
				plane, res := y[lo:lo+planeSize], residual.F32[lo:lo+planeSize]
				bias := b.F32[m]
				for i, r := range res {
					plane[i] = r + bias
				}
			}
		}
		return true
	case residual != nil:
		copy(y, residual.F32)
		return true
	case b != nil:
		fillBias(y, b, batch, channels, planeSize)
		return true
	}
	return false
}

// fillBias sets every output plane to its channel's bias, so the GEMM can
// accumulate onto it. It writes a few values by hand and doubles them with
// copy, which is a bulk memory move in WebAssembly, where a scalar store
// loop is slow.
func fillBias(y []float32, b *tensor.Tensor, batch, channels, planeSize int) {
	for n := 0; n < batch; n++ {
		for m := 0; m < channels; m++ {
			plane := y[(n*channels+m)*planeSize : (n*channels+m+1)*planeSize]
			fill(plane, b.F32[m])
		}
	}
}

// fill sets every element of v to x.
func fill(v []float32, x float32) {
	const seed = 16
	if len(v) <= seed {
		for i := range v {
			v[i] = x
		}
		return
	}
	for i := range v[:seed] {
		v[i] = x
	}
	for done := seed; done < len(v); done *= 2 {
		copy(v[done:], v[:done])
	}
}
