package cost

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// Layer is the cost of one node.
type Layer struct {
	// Node is the node costed and Index its position in the model's
	// graph.node (the file order, which need not be the order of Layers).
	Node  *onnx.Node `json:"-"`
	Index int        `json:"node_index"`
	// Name is the node's name, or its first output when it has none.
	Name   string `json:"name"`
	OpType string `json:"op_type"`
	// Outputs name the values OutputShapes describe, in the same order
	// (omitted optional outputs are in neither).
	Outputs         []string `json:"outputs"`
	OutputShapes    [][]int  `json:"output_shapes"`
	MACs            int64    `json:"macs"`
	Params          int64    `json:"params"`
	ActivationBytes int64    `json:"activation_bytes"`
	// LiveBytes is the activation memory alive while the node runs (see
	// PeakActivationBytes, the largest of these).
	LiveBytes int64 `json:"live_bytes"`
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
	rep, _, err := analyze(m, inputShapes, eval)
	return rep, err
}

// analyze is Analyze that also returns the shapes it inferred.
func analyze(m *onnx.Model, inputShapes map[string][]int, eval graph.ConstEval) (*Report, *graph.Shapes, error) {
	if inputShapes == nil {
		var err error
		if inputShapes, err = graph.DefaultInputShapes(m, 1); err != nil {
			return nil, nil, fmt.Errorf("cost: %w", err)
		}
	}
	shapes, err := graph.InferShapes(m, inputShapes, eval)
	if err != nil {
		return nil, nil, fmt.Errorf("cost: %w", err)
	}
	g := shapes.Graph
	rep := &Report{InputShapes: inputShapes}
	params := newParamCounter(g)
	index := nodeIndex(m.Graph)
	for _, n := range g.Order() {
		l := Layer{Node: n, Index: index[n], Name: n.Name, OpType: n.OpType}
		if l.Name == "" && len(n.Output) > 0 {
			l.Name = n.Output[0]
		}
		for _, out := range n.Output {
			v := shapes.Of(out)
			if out == "" || v == nil {
				continue
			}
			l.Outputs = append(l.Outputs, out)
			l.OutputShapes = append(l.OutputShapes, append([]int{}, v.Dims...))
			l.ActivationBytes += valueBytes(v)
		}
		if onnx.IsDefaultDomain(n.Domain) {
			l.MACs, err = nodeMACs(n, shapes)
		} else {
			l.MACs, err = customNodeMACs(n, shapes, m.OpsetVersion(n.Domain))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("cost: node %s: %w", graph.NodeLabel(n), err)
		}
		for _, in := range params.of(n, len(rep.Layers)) {
			l.Params += shapes.Of(in).Elements()
		}
		if rep.MACs > math.MaxInt64-l.MACs {
			return nil, nil, fmt.Errorf("cost: node %s: the model's MACs add up past int64; its shapes are implausible", graph.NodeLabel(n))
		}
		rep.MACs += l.MACs
		rep.Params += l.Params
		rep.ActivationBytes += l.ActivationBytes
		rep.Layers = append(rep.Layers, l)
	}
	for i, names := range params.unclaimed() {
		for _, in := range names {
			k := shapes.Of(in).Elements()
			rep.Layers[i].Params += k
			rep.Params += k
		}
	}
	live, peak := NewLiveness(g, shapes).run(func(name string) int64 { return valueBytes(shapes.Of(name)) })
	for i := range rep.Layers {
		rep.Layers[i].LiveBytes = live[i]
	}
	rep.PeakActivationBytes = peak
	return rep, shapes, nil
}

// nodeIndex maps each node of g to its position in g.Node.
func nodeIndex(g *onnx.Graph) map[*onnx.Node]int {
	index := make(map[*onnx.Node]int, len(g.Node))
	for i, n := range g.Node {
		index[n] = i
	}
	return index
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
