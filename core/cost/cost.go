package cost

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// Layer is the cost of one node.
type Layer struct {
	Name            string  `json:"name"`
	OpType          string  `json:"op_type"`
	OutputShapes    [][]int `json:"output_shapes"`
	MACs            int64   `json:"macs"`
	Params          int64   `json:"params"`
	ActivationBytes int64   `json:"activation_bytes"`
}

// Totals sums the layers.
type Totals struct {
	MACs            int64 `json:"macs"`
	Params          int64 `json:"params"`
	ActivationBytes int64 `json:"activation_bytes"`
}

// Report is the result of Analyze. Its JSON form has the totals at the top
// level (macs, params, activation_bytes) beside layers.
type Report struct {
	Totals
	// PeakActivationBytes is the largest total size of the activations
	// alive at once in topological order (see the package doc).
	PeakActivationBytes int64 `json:"peak_activation_bytes"`
	// InputShapes are the graph input shapes analysed.
	InputShapes map[string][]int `json:"input_shapes"`
	// Layers holds one entry per node, in topological order.
	Layers []Layer `json:"layers"`
}

// Analyze infers the shapes of m at inputShapes (nil: every input at batch
// 1, from the model's declared dims) and accounts for every node. eval
// (normally exec.EvalNode) folds shape arithmetic; see graph.InferShapes.
func Analyze(m *onnx.Model, inputShapes map[string][]int, eval graph.ConstEval) (*Report, error) {
	if inputShapes == nil {
		var err error
		if inputShapes, err = graph.DefaultInputShapes(m, 1); err != nil {
			return nil, fmt.Errorf("cost: %w", err)
		}
	}
	shapes, err := graph.InferShapes(m, inputShapes, eval)
	if err != nil {
		return nil, fmt.Errorf("cost: %w", err)
	}
	g := shapes.Graph
	rep := &Report{InputShapes: inputShapes}
	counted := map[string]bool{}
	for _, n := range g.Order() {
		l := Layer{Name: n.Name, OpType: n.OpType}
		if l.Name == "" && len(n.Output) > 0 {
			l.Name = n.Output[0]
		}
		for _, out := range n.Output {
			v := shapes.Of(out)
			if out == "" || v == nil {
				continue
			}
			l.OutputShapes = append(l.OutputShapes, append([]int{}, v.Dims...))
			l.ActivationBytes += valueBytes(v)
		}
		if n.Domain != "" && n.Domain != "ai.onnx" {
			l.MACs, err = customNodeMACs(n, shapes, m.OpsetVersion(n.Domain))
		} else {
			l.MACs, err = nodeMACs(n, shapes)
		}
		if err != nil {
			return nil, fmt.Errorf("cost: node %s: %w", graph.NodeLabel(n), err)
		}
		for i, in := range n.Input {
			if in == "" || counted[in] {
				continue
			}
			t := g.Initializer(in)
			if t == nil || !isParameter(t, n.OpType, i) {
				continue
			}
			counted[in] = true
			l.Params += shapes.Of(in).Elements()
		}
		if rep.MACs > math.MaxInt64-l.MACs {
			return nil, fmt.Errorf("cost: node %s: the model's MACs add up past int64; its shapes are implausible", graph.NodeLabel(n))
		}
		rep.MACs += l.MACs
		rep.Params += l.Params
		rep.ActivationBytes += l.ActivationBytes
		rep.Layers = append(rep.Layers, l)
	}
	rep.PeakActivationBytes = peakActivationBytes(g, shapes)
	return rep, nil
}

// isParameter reports whether initializer t, read as input i of an op,
// holds weights (see the package doc).
func isParameter(t *onnx.Tensor, opType string, i int) bool {
	switch t.DataType {
	case onnx.Float, onnx.Double, onnx.Float16, onnx.BFloat16,
		onnx.Float8E4M3FN, onnx.Float8E4M3FNUZ, onnx.Float8E5M2, onnx.Float8E5M2FNUZ:
		return true
	}
	switch opType {
	case "DequantizeLinear":
		return i == 0
	case "ConvInteger", "MatMulInteger":
		return i == 1
	case "QLinearConv":
		return i == 3 || i == 8 // weight, int32 bias
	case "QLinearMatMul":
		return i == 3
	}
	return false
}
