package exec

import (
	"errors"
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Validate runs on m the checks pare info makes (graph shape inference:
// attribute ranges such as a Conv group >= 1, operand ranks and channel
// counts, sizes that fit in memory), so that every command refuses the
// same models and no kernel meets at run time what a check could have
// found. A model whose declared input shapes are not all static (dynamic
// height or width) is checked at run time instead, by the kernels; ops
// without a shape rule are left to their kernels too.
//
// NewSession calls it; code that builds its own executor (training) calls
// it so that it refuses the same models.
func Validate(m *onnx.Model) error {
	_, err := validate(m, nil)
	return err
}

// validate is Validate, returning also the shapes it inferred on the
// declared input shapes (a symbolic batch read as 1), or nil where it
// could not infer them: NewSession predicts the first run's trace from
// them (ahead.go) instead of inferring them a second time. g is m's graph
// when the caller has built it, else nil.
func validate(m *onnx.Model, g *graph.Graph) (*graph.Shapes, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("exec: model has no graph")
	}
	if len(m.Graph.Output) == 0 {
		return nil, fmt.Errorf("exec: the graph declares no outputs, so running it computes nothing: is the model complete?")
	}
	if m.OpsetVersion("") == 0 && usesDefaultDomain(m.Graph) {
		return nil, fmt.Errorf("exec: the model imports no opset of the default ONNX domain (opset_import is empty): re-export it with an opset")
	}
	if g == nil {
		var err error
		if g, err = graph.New(m.Graph); err != nil {
			return nil, err
		}
	}
	for _, in := range g.Inputs() {
		if in.Type == nil || in.Type.TensorType == nil {
			continue
		}
		if dt := tensor.DType(in.Type.TensorType.ElemType); dt.ElementSize() == 0 && dt != tensor.Undefined {
			return nil, fmt.Errorf("exec: %w", &tensor.UnsupportedTypeError{DType: dt, What: fmt.Sprintf("input %q", in.Name)})
		}
	}
	inputs, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return nil, nil
	}
	shapes, err := graph.InferShapes(m, inputs, EvalNode)
	if _, unsupported := errors.AsType[*graph.UnsupportedError](err); unsupported || errors.Is(err, graph.ErrDynamicShape) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	return shapes, nil
}

func usesDefaultDomain(g *onnx.Graph) bool {
	for _, n := range g.Node {
		if n != nil && onnx.IsDefaultDomain(n.Domain) {
			return true
		}
	}
	return false
}
