package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// Conv and ConvTranspose: bindings of core/nn. Their forms (opsets 1, 11,
// 22) differ only in documentation and added element types, so one kernel
// serves all of them.

func init() {
	Register("Conv", 1, 0, convKernel)
	Register("ConvTranspose", 1, 0, convTransposeKernel)
}

// requireFloat32 rejects operands of other element types up front, naming
// the input.
func requireFloat32(op string, in []*tensor.Tensor, names ...string) error {
	for i, name := range names {
		if t := input(in, i); t != nil && t.DType != tensor.Float32 {
			return fmt.Errorf("%s: input %s is %v; only float32 is supported", op, name, t.DType)
		}
	}
	return nil
}

func convKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := requireFloat32("Conv", in, "X", "W", "B"); err != nil {
		return nil, err
	}
	g, err := nn.ResolveConv(in[0].Shape, in[1].Shape, nn.ConvParamsOf(c.Node))
	if err != nil {
		return nil, err
	}
	y, err := alloc(c, tensor.Float32, g.OutShape())
	if err != nil {
		return nil, err
	}
	if err := nn.ConvInto(y, in[0], in[1], input(in, 2), g); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

func convTransposeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := requireFloat32("ConvTranspose", in, "X", "W", "B"); err != nil {
		return nil, err
	}
	p := nn.ConvTransposeParams{
		ConvParams:    nn.ConvParamsOf(c.Node),
		OutputPadding: nn.IntsAttr(c.Node, "output_padding"),
		OutputShape:   nn.IntsAttr(c.Node, "output_shape"),
	}
	g, err := nn.ResolveConvTranspose(in[0].Shape, in[1].Shape, p)
	if err != nil {
		return nil, err
	}
	y, err := alloc(c, tensor.Float32, g.OutShape())
	if err != nil {
		return nil, err
	}
	if err := nn.ConvTransposeInto(y, in[0], in[1], input(in, 2), g); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}
