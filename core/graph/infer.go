package graph

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// InferShapes computes the element type and static dimensions of every
// value of m's graph.
//
// inputShapes gives the dimensions of graph inputs; inputs it omits take
// the dimensions declared in the model, and a symbolic or unknown declared
// dimension is an error (DefaultInputShapes fills batch dimensions). eval,
// normally exec.EvalNode, folds nodes whose inputs are all constant and
// whose outputs are small (MaxFoldElements), so that shape computations
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) give exact shapes; it
// may be nil, in which case only initializers, Constant, Shape and Size
// are constants.
//
// An op without a shape rule is an error listing every such op.
func InferShapes(m *onnx.Model, inputShapes map[string][]int, eval ConstEval) (*Shapes, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("graph: model has no graph")
	}
	opset := m.OpsetVersion("")
	if opset == 0 {
		return nil, fmt.Errorf("graph: model imports no opset of the default ONNX domain")
	}
	g, err := New(m.Graph)
	if err != nil {
		return nil, err
	}
	if err := checkSupported(g.Order(), opset, m.OpsetVersion); err != nil {
		return nil, err
	}
	values, err := inputValues(g, inputShapes)
	if err != nil {
		return nil, err
	}
	for _, t := range m.Graph.Initializer {
		v, err := initializerValue(t)
		if err != nil {
			return nil, fmt.Errorf("graph: initializer %q: %w", t.Name, err)
		}
		values[t.Name] = v
	}
	s := &Shapes{Values: values, Graph: g, Opset: opset, domainOpset: m.OpsetVersion}
	for _, n := range g.Order() {
		if err := s.inferNode(n, eval); err != nil {
			return nil, fmt.Errorf("graph: node %s: %w", NodeLabel(n), err)
		}
	}
	return s, nil
}

func initializerValue(t *onnx.Tensor) (*Value, error) {
	dims, err := onnxDims(t)
	if err != nil {
		return nil, err
	}
	c, err := smallConst(t)
	if err != nil {
		return nil, err
	}
	return &Value{DType: tensor.DType(t.DataType), Dims: dims, Const: c}, nil
}

// ErrDynamicShape is wrapped by errors of InferShapes for a shape that
// depends on values known only at run time (a Reshape to a computed
// shape): the graph may still be valid, it just cannot be checked ahead.
var ErrDynamicShape = errors.New("the shape depends on run-time values")

// UnsupportedError lists every op of a model that has no shape rule.
type UnsupportedError struct {
	Opset int64
	Ops   []UnsupportedOp // sorted by domain and op type
}

// UnsupportedOp is one op type without a shape rule and the first node
// that uses it.
type UnsupportedOp struct {
	Domain, OpType string
	Node           string // label of the first node using it
}

func (e *UnsupportedError) Error() string {
	parts := make([]string, len(e.Ops))
	for i, o := range e.Ops {
		parts[i] = fmt.Sprintf("%s (e.g. node %s)", onnx.OpName(o.Domain, o.OpType), o.Node)
	}
	return fmt.Sprintf("graph: no shape inference for %d op type(s) at opset %d: %s", len(parts), e.Opset, strings.Join(parts, "; "))
}

// checkSupported lists every op (by domain and type) without a shape rule.
func checkSupported(nodes []*onnx.Node, opset int64, domainOpset func(string) int64) error {
	seen := map[[2]string]bool{}
	e := &UnsupportedError{Opset: opset}
	for _, n := range nodes {
		domain := onnx.CanonicalDomain(n.Domain)
		if _, ok := rules[n.OpType]; ok && domain == "" {
			continue
		}
		if domain != "" && customRuleFor(domain, n.OpType, domainOpset(domain)) != nil {
			continue
		}
		key := [2]string{domain, n.OpType}
		if !seen[key] {
			seen[key] = true
			e.Ops = append(e.Ops, UnsupportedOp{Domain: domain, OpType: n.OpType, Node: NodeLabel(n)})
		}
	}
	if len(e.Ops) == 0 {
		return nil
	}
	sort.Slice(e.Ops, func(i, j int) bool {
		if e.Ops[i].Domain != e.Ops[j].Domain {
			return e.Ops[i].Domain < e.Ops[j].Domain
		}
		return e.Ops[i].OpType < e.Ops[j].OpType
	})
	return e
}

// inferNode applies n's shape rule, then folds n when its inputs are all
// constant and its outputs small.
func (s *Shapes) inferNode(n *onnx.Node, eval ConstEval) (err error) {
	c := &nodeCtx{n: n, opset: s.Opset, in: make([]*Value, len(n.Input))}
	allConst := true
	for i, name := range n.Input {
		if name == "" {
			continue
		}
		v := s.Values[name]
		if v == nil {
			return fmt.Errorf("input %q has no inferred shape (it is read from an enclosing graph, which is not supported)", name)
		}
		c.in[i] = v
		if v.Const == nil {
			allConst = false
		}
	}
	// A rule with a bug must not take the caller down with it: turn a
	// panic into an error that says so.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: the shape rule for %s panicked (%v); please report this model", n.OpType, r)
		}
	}()
	r := rules[n.OpType]
	if !onnx.IsDefaultDomain(n.Domain) {
		r = customRuleFor(n.Domain, n.OpType, s.domainOpset(n.Domain)).adapt(s.domainOpset(n.Domain))
	}
	outs, err := r(c)
	if err != nil {
		return err
	}
	total := int64(0)
	for i, name := range n.Output {
		if name == "" {
			continue
		}
		if i >= len(outs) || outs[i] == nil {
			return fmt.Errorf("output %d (%q) is not produced by %s at opset %d", i, name, n.OpType, s.Opset)
		}
		if err := checkDims(outs[i].Dims); err != nil {
			return fmt.Errorf("output %q: %w", name, err)
		}
		total += outs[i].Elements()
	}
	if allConst && eval != nil && total <= MaxFoldElements && !neverFold[n.OpType] && !allOutputsConst(n, outs) {
		if err := fold(n, s.Opset, c.in, outs, eval); err != nil {
			return err
		}
	}
	for i, name := range n.Output {
		if name != "" {
			s.Values[name] = outs[i]
			if outs[i].Const != nil && n.OpType != "Constant" {
				s.Folded++
			}
		}
	}
	return nil
}

func allOutputsConst(n *onnx.Node, outs []*Value) bool {
	for i, name := range n.Output {
		if name != "" && outs[i].Const == nil {
			return false
		}
	}
	return true
}

// neverFold lists ops whose result must not be frozen into a constant.
var neverFold = map[string]bool{
	"RandomNormal": true, "RandomUniform": true, "RandomNormalLike": true,
	"RandomUniformLike": true, "Multinomial": true, "Bernoulli": true,
}

// fold evaluates n on constant inputs and attaches the results to outs.
// An evaluator that cannot run the op leaves the outputs non-constant; an
// evaluator whose result disagrees with the shape rule is an error, since
// one of the two is wrong.
func fold(n *onnx.Node, opset int64, in []*Value, outs []*Value, eval ConstEval) error {
	args := make([]*tensor.Tensor, len(in))
	for i, v := range in {
		if v != nil {
			args[i] = v.Const
		}
	}
	res, err := evalSafely(eval, n, opset, args)
	if err != nil {
		return nil // the value stays unknown; rules that need it say so
	}
	for i, name := range n.Output {
		if name == "" {
			continue
		}
		if i >= len(res) || res[i] == nil {
			return nil
		}
		if !slices.Equal(res[i].Shape, outs[i].Dims) {
			return fmt.Errorf("constant folding gives output %q the shape %v but the shape rule says %v (a bug in one of them; please report this model)", name, res[i].Shape, outs[i].Dims)
		}
	}
	for i, name := range n.Output {
		if name != "" {
			outs[i].Const = res[i]
			if outs[i].DType == tensor.Undefined {
				outs[i].DType = res[i].DType
			}
		}
	}
	return nil
}

func checkDims(dims []int) error {
	total := int64(1)
	for i, d := range dims {
		if d < 0 {
			return fmt.Errorf("dimension %d is negative (%d)", i, d)
		}
		if d > maxDim {
			return fmt.Errorf("dimension %d is %d, too large", i, d)
		}
		if d > 0 && total > maxElements/int64(d) {
			return fmt.Errorf("shape %v has too many elements", dims)
		}
		total *= int64(d)
	}
	return nil
}
