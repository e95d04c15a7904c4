package nn

import (
	"fmt"
	"math"

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
		if r.DType != tensor.Float32 || len(r.F32) != r.Len() || !equalInts(r.Shape, y.Shape) {
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
// become +0 (the clamp of a NaN is unspecified by ONNX).
func (e *Epilogue) clampInPlace(v []float32) {
	if !e.Clamp {
		return
	}
	lo, hi := e.Min, e.Max
	switch {
	case lo == 0 && math.IsInf(float64(hi), 1):
		for i, x := range v {
			b := math.Float32bits(x)
			v[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	case lo == 0 && hi >= 0:
		// After the sign trick every value is a non-negative float, whose
		// bit patterns order like the numbers: the upper bound is an
		// integer min, which compiles to a select, not a branch.
		hb := math.Float32bits(hi)
		for i, x := range v {
			b := math.Float32bits(x)
			b &^= uint32(int32(b) >> 31)
			v[i] = math.Float32frombits(min(b, hb))
		}
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

// initOutput writes what the GEMM accumulates onto: the bias of each
// output channel plus the residual, and reports whether y now holds
// anything (so the GEMM's beta must be 1). y starts zeroed or holds stale
// data from a recycled buffer; both are overwritten here when it matters.
func initOutput(y []float32, b *tensor.Tensor, residual *tensor.Tensor, batch, channels, planeSize int) bool {
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
