//go:build !js

package onnxgooracle_test

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// oracleTolerance scales the allowed difference between Pare and onnx-go:
// an output agrees when max|pare-onnxgo| <= oracleTolerance * max(1, range
// of Pare's output). Float32 sums taken in another order differ by about
// 1e-6 of the output scale; 1e-4 leaves room for that and still catches a
// wrong kernel.
const oracleTolerance = 1e-4

// Reference tolerances of the ONNX conformance outputs (the ones
// onnxruntime is held to); used only to tell which runtime is wrong.
const (
	refAtol = 1e-4
	refRtol = 1e-3
)

// difference is the result of comparing one output.
type difference struct {
	maxAbs  float64 // max |a-b|
	scale   float64 // max(1, range of the first tensor)
	problem string  // set when the tensors are not comparable at all
}

func (d difference) relative() float64 { return d.maxAbs / d.scale }

func (d difference) agrees() bool {
	return d.problem == "" && d.maxAbs <= oracleTolerance*d.scale
}

func (d difference) String() string {
	if d.problem != "" {
		return d.problem
	}
	return fmt.Sprintf("max abs diff %.3g (%.3g of output scale %.3g)", d.maxAbs, d.relative(), d.scale)
}

// compareOutputs measures how far other is from pare. Element types may
// differ (onnx-go sometimes computes in float64). Only the element count
// of the shapes must match: the caller reports a differing shape
// separately, since onnx-go is loose about size-1 axes.
func compareOutputs(pare, other *tensor.Tensor) difference {
	n := elementCount(pare)
	if elementCount(other) != n {
		return difference{problem: fmt.Sprintf("shape %v (%d values), Pare has %v (%d values)", other.Shape, elementCount(other), pare.Shape, n)}
	}
	if !isNumeric(pare) || !isNumeric(other) {
		if !isNumeric(pare) && !isNumeric(other) {
			for i := range pare.Bool {
				if pare.Bool[i] != other.Bool[i] {
					return difference{problem: fmt.Sprintf("bool value %d differs", i)}
				}
			}
			return difference{scale: 1}
		}
		return difference{problem: fmt.Sprintf("type %v, Pare has %v", other.DType, pare.DType)}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	var maxAbs float64
	for i := 0; i < n; i++ {
		a, b := valueAt(pare, i), valueAt(other, i)
		if math.IsNaN(a) && math.IsNaN(b) || a == b {
			continue
		}
		d := math.Abs(a - b)
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = math.Max(maxAbs, d)
	}
	for i := 0; i < n; i++ {
		if a := valueAt(pare, i); !math.IsInf(a, 0) && !math.IsNaN(a) {
			lo, hi = math.Min(lo, a), math.Max(hi, a)
		}
	}
	scale := 1.0
	if hi-lo > scale {
		scale = hi - lo
	}
	return difference{maxAbs: maxAbs, scale: scale}
}

// matchesReference reports whether got meets an ONNX reference output
// within the conformance tolerance |got-want| <= atol + rtol*|want|.
func matchesReference(got, want *tensor.Tensor) bool {
	n := elementCount(want)
	if elementCount(got) != n || isNumeric(got) != isNumeric(want) {
		return false
	}
	if !isNumeric(want) {
		for i := range want.Bool {
			if got.Bool[i] != want.Bool[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < n; i++ {
		g, w := valueAt(got, i), valueAt(want, i)
		if g == w || math.IsNaN(g) && math.IsNaN(w) {
			continue
		}
		if !(math.Abs(g-w) <= refAtol+refRtol*math.Abs(w)) {
			return false
		}
	}
	return true
}

func isNumeric(t *tensor.Tensor) bool { return t.DType != tensor.Bool }

// valueAt returns element i of a numeric tensor as float64.
func valueAt(t *tensor.Tensor, i int) float64 {
	switch t.DType {
	case tensor.Float32:
		return float64(t.F32[i])
	case tensor.Float64:
		return t.F64[i]
	case tensor.Int64:
		return float64(t.I64[i])
	case tensor.Int32:
		return float64(t.I32[i])
	case tensor.Int8, tensor.Int4:
		return float64(t.I8[i])
	case tensor.Uint8, tensor.Uint4:
		return float64(t.U8[i])
	}
	return math.NaN()
}
