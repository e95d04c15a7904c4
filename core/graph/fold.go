package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// FoldConstants replaces the nodes of m's graph whose outputs can be
// computed before any input is known (their inputs are initializers,
// Constant outputs or other folded values) by initializers holding those
// outputs, and drops the initializers only they read. It returns the
// number of nodes removed. m is modified in place.
//
// Only values of at most MaxFoldElements elements are folded, so weights
// are never duplicated. Shape of a graph input is not folded, since that
// would freeze a dynamic batch dimension; InferShapes folds those chains
// for a given input shape instead. Nodes that produce a graph output, have
// subgraphs, or belong to other domains are kept, as are nodes eval cannot
// run.
func FoldConstants(m *onnx.Model, eval ConstEval) (int, error) {
	if m == nil || m.Graph == nil {
		return 0, fmt.Errorf("graph: model has no graph")
	}
	if eval == nil {
		return 0, fmt.Errorf("graph: FoldConstants needs an evaluator (exec.EvalNode)")
	}
	opset := m.OpsetVersion("")
	if opset == 0 {
		return 0, fmt.Errorf("graph: model imports no opset of the default ONNX domain")
	}
	g, err := New(m.Graph)
	if err != nil {
		return 0, err
	}
	consts := map[string]*tensor.Tensor{}
	for _, t := range m.Graph.Initializer {
		c, err := smallConst(t)
		if err != nil {
			return 0, fmt.Errorf("graph: initializer %q: %w", t.Name, err)
		}
		// A widened type (float16 read as float32) would change the
		// graph's types if written back: leave such values alone.
		if c != nil && c.DType == tensor.DType(t.DataType) {
			consts[t.Name] = c
		}
	}
	folded := map[*onnx.Node]bool{}
	for _, n := range g.Order() {
		if res := tryFold(n, opset, g, consts, eval); res != nil {
			folded[n] = true
			for i, name := range n.Output {
				if name != "" {
					consts[name] = res[i]
				}
			}
		}
	}
	if len(folded) == 0 {
		return 0, nil
	}
	return len(folded), rewriteFolded(m.Graph, g, folded, consts)
}

// tryFold evaluates n when all its inputs are constant; it returns nil when
// n must stay a node.
func tryFold(n *onnx.Node, opset int64, g *Graph, consts map[string]*tensor.Tensor, eval ConstEval) []*tensor.Tensor {
	if !onnx.IsDefaultDomain(n.Domain) || neverFold[n.OpType] || len(capturedNames(n)) > 0 {
		return nil
	}
	for _, a := range n.Attribute {
		if a != nil && (a.G != nil || len(a.Graphs) > 0) {
			return nil
		}
	}
	args := make([]*tensor.Tensor, len(n.Input))
	for i, name := range n.Input {
		if name == "" {
			continue
		}
		c, ok := consts[name]
		if !ok {
			return nil
		}
		args[i] = c
	}
	for _, name := range n.Output {
		if g.IsGraphOutput(name) {
			return nil
		}
	}
	var res []*tensor.Tensor
	var err error
	if n.OpType == "Constant" {
		// The value is in the attribute; no evaluation needed.
		var outs []*Value
		if outs, err = constantRule(&nodeCtx{n: n, opset: opset}); err == nil && outs[0].Const != nil && outs[0].Const.DType == outs[0].DType {
			res = []*tensor.Tensor{outs[0].Const}
		}
	} else {
		res, err = evalSafely(eval, n, opset, args)
	}
	if err != nil || len(res) < len(n.Output) {
		return nil
	}
	total := 0
	for i, name := range n.Output {
		if name == "" {
			continue
		}
		if res[i] == nil {
			return nil
		}
		total += res[i].Len()
	}
	if total > MaxFoldElements {
		return nil
	}
	return res
}

// evalSafely calls eval, turning a panic into an error: folding is an
// optimization and must not take the caller down.
func evalSafely(eval ConstEval, n *onnx.Node, opset int64, args []*tensor.Tensor) (res []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("evaluator panicked: %v", r)
		}
	}()
	return eval(n, opset, args)
}

// rewriteFolded removes the folded nodes, adds initializers for their
// outputs that kept nodes still read, and drops initializers that only
// folded nodes read.
func rewriteFolded(og *onnx.Graph, g *Graph, folded map[*onnx.Node]bool, consts map[string]*tensor.Tensor) error {
	var kept []*onnx.Node
	needed := map[string]bool{}
	for _, vi := range og.Output {
		needed[vi.Name] = true
	}
	for _, n := range og.Node {
		if folded[n] {
			continue
		}
		kept = append(kept, n)
		for _, in := range n.Input {
			needed[in] = true
		}
		for _, in := range capturedNames(n) {
			needed[in] = true
		}
	}
	readByFolded := map[string]bool{}
	for n := range folded {
		for _, in := range n.Input {
			readByFolded[in] = true
		}
	}
	var inits []*onnx.Tensor
	dropped := map[string]bool{}
	for _, t := range og.Initializer {
		if readByFolded[t.Name] && !needed[t.Name] {
			dropped[t.Name] = true
			continue
		}
		inits = append(inits, t)
	}
	// New initializers in node order, so the result is deterministic.
	for _, n := range og.Node {
		if !folded[n] {
			continue
		}
		for _, name := range n.Output {
			if name == "" || !needed[name] {
				continue
			}
			t, err := tensor.ToONNX(consts[name], name)
			if err != nil {
				return fmt.Errorf("graph: folding node %s: %w", NodeLabel(n), err)
			}
			inits = append(inits, t)
		}
	}
	var inputs []*onnx.ValueInfo
	for _, vi := range og.Input {
		if !dropped[vi.Name] {
			inputs = append(inputs, vi)
		}
	}
	og.Node, og.Initializer, og.Input = kept, inits, inputs
	return nil
}
