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
	if m == nil || m.Graph == nil {
		return fmt.Errorf("exec: model has no graph")
	}
	if len(m.Graph.Output) == 0 {
		return fmt.Errorf("exec: the graph declares no outputs, so running it computes nothing: is the model complete?")
	}
	if m.OpsetVersion("") == 0 && usesDefaultDomain(m.Graph) {
		return fmt.Errorf("exec: the model imports no opset of the default ONNX domain (opset_import is empty): re-export it with an opset")
	}
	g, err := graph.New(m.Graph)
	if err != nil {
		return err
	}
	for _, in := range g.Inputs() {
		if in.Type == nil || in.Type.TensorType == nil {
			continue
		}
		if dt := tensor.DType(in.Type.TensorType.ElemType); dt.ElementSize() == 0 && dt != tensor.Undefined {
			return fmt.Errorf("exec: %w", &tensor.UnsupportedTypeError{DType: dt, What: fmt.Sprintf("input %q", in.Name)})
		}
	}
	shapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return nil
	}
	_, err = graph.InferShapes(m, shapes, EvalNode)
	if _, unsupported := errors.AsType[*graph.UnsupportedError](err); unsupported || errors.Is(err, graph.ErrDynamicShape) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

func usesDefaultDomain(g *onnx.Graph) bool {
	for _, n := range g.Node {
		if n != nil && onnx.IsDefaultDomain(n.Domain) {
			return true
		}
	}
	return false
}
