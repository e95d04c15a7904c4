package cost

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// nodeMACs returns the multiply-accumulates of n (0 for ops that are not
// matrix products; see the package doc).
func nodeMACs(n *onnx.Node, s *graph.Shapes) (int64, error) {
	if !onnx.IsDefaultDomain(n.Domain) {
		return 0, nil // an operator of another domain counts no MACs unless taught otherwise
	}
	dims := func(i int) []int {
		if i < len(n.Input) && n.Input[i] != "" {
			return s.Dims(n.Input[i])
		}
		return nil
	}
	var out []int
	if len(n.Output) > 0 {
		out = s.Dims(n.Output[0])
	}
	switch n.OpType {
	case "Conv", "ConvInteger":
		return convMACs(dims(0), dims(1), out)
	case "QLinearConv":
		return convMACs(dims(0), dims(3), out)
	case "ConvTranspose":
		return convTransposeMACs(dims(0), dims(1))
	case "Gemm":
		a := dims(0)
		if len(a) != 2 || len(out) != 2 {
			return 0, fmt.Errorf("the Gemm shapes %v -> %v are not 2-D", a, out)
		}
		k := a[1]
		if n.AttrInt("transA", 0) != 0 {
			k = a[0]
		}
		return mulMACs(product(out), int64(k))
	case "MatMul", "MatMulInteger":
		return matMulMACs(dims(0), out)
	case "QLinearMatMul":
		return matMulMACs(dims(0), out)
	}
	return 0, nil
}

// convMACs: each output element takes Cin/group * prod(kernel) MACs.
func convMACs(x, w, out []int) (int64, error) {
	if len(x) < 3 || len(w) != len(x) || len(out) != len(x) {
		return 0, fmt.Errorf("conv shapes x %v, w %v, y %v do not fit", x, w, out)
	}
	perOutput := int64(w[1]) * product(w[2:]) // at most the weight's element count
	return mulMACs(product(out), perOutput)
}

// convTransposeMACs: each input element is multiplied into
// Cout/group * prod(kernel) outputs.
func convTransposeMACs(x, w []int) (int64, error) {
	if len(x) < 3 || len(w) != len(x) {
		return 0, fmt.Errorf("conv transpose shapes x %v, w %v do not fit", x, w)
	}
	perInput := int64(w[1]) * product(w[2:]) // w is [Cin, Cout/group, k...]
	return mulMACs(product(x), perInput)
}

// matMulMACs: every output element is a dot product of length K (the last
// axis of A).
func matMulMACs(a, out []int) (int64, error) {
	if len(a) == 0 {
		return 0, fmt.Errorf("MatMul of a scalar")
	}
	return mulMACs(product(out), int64(a[len(a)-1]))
}

// mulMACs multiplies two non-negative counts. Shape inference bounds every
// value's element count (2^40), but the product of an output's size and a
// weight's can still pass int64 in a hostile model; say so rather than
// report a wrapped number.
func mulMACs(a, b int64) (int64, error) {
	if a < 0 || b < 0 || (b != 0 && a > math.MaxInt64/b) {
		return 0, fmt.Errorf("%d x %d multiply-accumulates do not fit int64; the model's shapes are implausible", a, b)
	}
	return a * b, nil
}

// product multiplies dims; shape inference has bounded it to 2^40.
func product(d []int) int64 {
	p := int64(1)
	for _, v := range d {
		p *= int64(v)
	}
	return p
}
