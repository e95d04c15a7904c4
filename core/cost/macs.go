package cost

import (
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// nodeMACs returns the multiply-accumulates of n (0 for ops that are not
// matrix products; see the package doc).
func nodeMACs(n *onnx.Node, s *graph.Shapes) (int64, error) {
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
			return 0, fmt.Errorf("Gemm shapes %v -> %v are not 2-D", a, out)
		}
		k := a[1]
		if n.AttrInt("transA", 0) != 0 {
			k = a[0]
		}
		return product(out) * int64(k), nil
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
	perOutput := int64(w[1]) * product(w[2:])
	return product(out) * perOutput, nil
}

// convTransposeMACs: each input element is multiplied into
// Cout/group * prod(kernel) outputs.
func convTransposeMACs(x, w []int) (int64, error) {
	if len(x) < 3 || len(w) != len(x) {
		return 0, fmt.Errorf("conv transpose shapes x %v, w %v do not fit", x, w)
	}
	perInput := int64(w[1]) * product(w[2:]) // w is [Cin, Cout/group, k...]
	return product(x) * perInput, nil
}

// matMulMACs: every output element is a dot product of length K (the last
// axis of A).
func matMulMACs(a, out []int) (int64, error) {
	if len(a) == 0 {
		return 0, fmt.Errorf("MatMul of a scalar")
	}
	return product(out) * int64(a[len(a)-1]), nil
}

func product(d []int) int64 {
	p := int64(1)
	for _, v := range d {
		p *= int64(v)
	}
	return p
}
