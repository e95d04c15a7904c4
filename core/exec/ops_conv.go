package exec

import (
	"fmt"
	"slices"

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
	cp, err := resolveConv(c, in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	y, err := alloc(c, tensor.Float32, cp.out)
	if err != nil {
		return nil, err
	}
	// The col matrix's scratch from the run's pool, after y, as the
	// predicted trace has it (temp.go).
	col := c.scratch(cp.colFloats)
	err = nn.ConvFusedIntoCol(y, in[0], in[1], input(in, 2), cp.g, nn.Epilogue{}, scratchData(col))
	c.release(col)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// convPlan is a Conv node resolved against one pair of X and W shapes,
// kept in the step's memo: ConvParamsOf and ResolveConv allocate a dozen
// small slices, and the geometry caches the col matrix's row table.
type convPlan struct {
	x, w []int
	g    *nn.ConvGeometry
	out  []int
	// colFloats is g's col matrix scratch (nn.ConvScratchFloats), asked
	// of the run's pool.
	colFloats int
}

// resolveConv returns the plan of c's Conv for shapes x and w, from the
// memo when it was made for them.
func resolveConv(c *Context, x, w []int) (*convPlan, error) {
	if c.memo != nil {
		if cp, ok := (*c.memo).(*convPlan); ok && slices.Equal(cp.x, x) && slices.Equal(cp.w, w) {
			return cp, nil
		}
	}
	g, err := nn.ResolveConv(x, w, nn.ConvParamsOf(c.Node))
	if err != nil {
		return nil, err
	}
	cp := &convPlan{x: slices.Clone(x), w: slices.Clone(w), g: g, out: g.OutShape(), colFloats: nn.ConvScratchFloats(g)}
	if c.memo != nil {
		*c.memo = cp
	}
	return cp, nil
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
