package graph

import (
	"fmt"
	"sort"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// ConstEval computes the outputs of one node from constant inputs (in[i] is
// nil for an omitted optional input). The executor's exec.EvalNode has this
// signature; it is passed in rather than imported because the executor
// itself depends on this package.
type ConstEval func(node *onnx.Node, opset int64, in []*tensor.Tensor) ([]*tensor.Tensor, error)

// MaxFoldElements bounds the size of the values InferShapes folds to
// constants. Shape-driving tensors are tiny; the bound keeps folding from
// evaluating real layers whose inputs happen to be constant.
const MaxFoldElements = 4096

// Value is what shape inference knows about one value of the graph.
type Value struct {
	// DType is the element type; its numbers equal onnx.DataType, so types
	// the executor does not compute on (float16, ...) still carry through.
	DType tensor.DType
	// Dims are the static dimensions (empty for a scalar).
	Dims []int
	// Const is the value itself when it is an initializer or was folded
	// (at most MaxFoldElements elements), else nil.
	Const *tensor.Tensor
}

// Elements returns the number of elements of v.
func (v *Value) Elements() int64 {
	n := int64(1)
	for _, d := range v.Dims {
		n *= int64(d)
	}
	return n
}

func (v *Value) String() string {
	s := fmt.Sprintf("%v%v", v.DType, v.Dims)
	if v.Const != nil {
		s += " (constant)"
	}
	return s
}

// Shapes is the result of InferShapes: every value of the graph (inputs,
// initializers, node outputs) by name.
type Shapes struct {
	// Values maps a value name to what is known about it.
	Values map[string]*Value
	// Graph is the index the shapes were inferred on.
	Graph *Graph
	// Opset is the default-domain opset version of the model.
	Opset int64
	// Folded counts the node outputs folded to constants.
	Folded int
	// domainOpset is the model's opset version of a domain (custom
	// domains' shape rules are chosen by it).
	domainOpset func(domain string) int64
}

// Of returns the value called name, or nil when the graph has no such
// value.
func (s *Shapes) Of(name string) *Value {
	if s == nil {
		return nil
	}
	return s.Values[name]
}

// Dims returns the dimensions of name, or nil when unknown.
func (s *Shapes) Dims(name string) []int {
	if v := s.Of(name); v != nil {
		return v.Dims
	}
	return nil
}

// DefaultInputShapes returns the dimensions of every graph input a caller
// must feed, read from the model's ValueInfo. A symbolic, unknown or zero
// first dimension is taken as the batch dimension and set to batch; any
// other unknown dimension is an error naming the input and axis, since no
// sensible default exists.
func DefaultInputShapes(m *onnx.Model, batch int) (map[string][]int, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("graph: model has no graph")
	}
	if batch < 1 {
		return nil, fmt.Errorf("graph: batch size %d must be at least 1", batch)
	}
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializer {
		if t != nil {
			inits[t.Name] = true
		}
	}
	out := map[string][]int{}
	for _, vi := range m.Graph.Input {
		if vi == nil || inits[vi.Name] {
			continue
		}
		shape := tensorShape(vi)
		if shape == nil {
			return nil, fmt.Errorf("graph: input %q has no shape in the model; give its dimensions explicitly", vi.Name)
		}
		dims := make([]int, len(shape.Dim))
		for i, d := range shape.Dim {
			known := d != nil && d.HasValue && d.Value > 0
			switch {
			case known && d.Value > maxDim:
				return nil, fmt.Errorf("graph: input %q dimension %d is %d, too large", vi.Name, i, d.Value)
			case known:
				dims[i] = int(d.Value)
			case i == 0:
				dims[i] = batch
			default:
				return nil, fmt.Errorf("graph: input %q dimension %d is %s; give the input shape explicitly", vi.Name, i, describeDim(d))
			}
		}
		out[vi.Name] = dims
	}
	return out, nil
}

// maxDim bounds a single dimension so element counts of a few dimensions
// cannot overflow int64.
const maxDim = 1 << 31

func tensorShape(vi *onnx.ValueInfo) *onnx.TensorShape {
	if vi == nil || vi.Type == nil || vi.Type.TensorType == nil {
		return nil
	}
	return vi.Type.TensorType.Shape
}

func elemType(vi *onnx.ValueInfo) tensor.DType {
	if vi == nil || vi.Type == nil || vi.Type.TensorType == nil {
		return tensor.Undefined
	}
	return tensor.DType(vi.Type.TensorType.ElemType)
}

func describeDim(d *onnx.Dimension) string {
	switch {
	case d == nil:
		return "unknown"
	case d.Param != "":
		return fmt.Sprintf("symbolic (%q)", d.Param)
	case d.HasValue:
		return fmt.Sprintf("%d", d.Value)
	}
	return "unknown"
}

// inputValues resolves the dimensions of the graph inputs: inputShapes
// first, then the model's ValueInfo.
func inputValues(g *Graph, inputShapes map[string][]int) (map[string]*Value, error) {
	out := map[string]*Value{}
	known := map[string]bool{}
	for _, vi := range g.Inputs() {
		known[vi.Name] = true
		if vi.Type != nil && vi.Type.TensorType == nil {
			return nil, fmt.Errorf("graph: input %q is not a tensor (sequence, map and optional inputs are not supported)", vi.Name)
		}
		v := &Value{DType: elemType(vi)}
		if v.DType == tensor.Undefined {
			v.DType = tensor.Float32
		}
		if dims, ok := inputShapes[vi.Name]; ok {
			for i, d := range dims {
				if d < 0 || d > maxDim {
					return nil, fmt.Errorf("graph: input %q: given dimension %d is %d; dimensions must be in 0..%d", vi.Name, i, d, maxDim)
				}
			}
			if shape := tensorShape(vi); shape != nil && len(shape.Dim) != len(dims) {
				return nil, fmt.Errorf("graph: input %q: given shape %v has rank %d but the model declares rank %d", vi.Name, dims, len(dims), len(shape.Dim))
			}
			v.Dims = append([]int{}, dims...)
		} else {
			shape := tensorShape(vi)
			if shape == nil {
				return nil, fmt.Errorf("graph: input %q has no shape in the model; give its dimensions", vi.Name)
			}
			v.Dims = make([]int, len(shape.Dim))
			for i, d := range shape.Dim {
				if d == nil || !d.HasValue || d.Value <= 0 || d.Value > maxDim {
					return nil, fmt.Errorf("graph: input %q dimension %d is %s; give the input shape (a CLI default sets the batch dimension to 1)", vi.Name, i, describeDim(d))
				}
				v.Dims[i] = int(d.Value)
			}
		}
		// Each dimension is bounded, but their product must be too, or
		// element and byte counts downstream overflow int64.
		if err := checkDims(v.Dims); err != nil {
			return nil, fmt.Errorf("graph: input %q: %w; give smaller input dimensions", vi.Name, err)
		}
		out[vi.Name] = v
	}
	var extra []string
	for name := range inputShapes {
		if !known[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, fmt.Errorf("graph: shapes given for %q, which the model does not take as inputs", extra)
	}
	return out, nil
}
