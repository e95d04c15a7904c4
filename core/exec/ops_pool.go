package exec

import (
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// MaxPool, AveragePool and the global pools: bindings of core/nn.
//
// Attributes by form: MaxPool-8 added storage_order and the Indices
// output, MaxPool-10 ceil_mode and dilations, MaxPool-12 int8/uint8;
// AveragePool-7 added count_include_pad, -10 ceil_mode, -19 dilations.
// Attributes absent from an older form are never set in its nodes, and
// their defaults reproduce the older behaviour, so one kernel per op reads
// them all.

func init() {
	Register("MaxPool", 1, 0, maxPoolKernel)
	Register("AveragePool", 1, 0, averagePoolKernel)
	Register("GlobalAveragePool", 1, 0, globalPoolKernel(nn.GlobalAveragePoolInto, "GlobalAveragePool"))
	Register("GlobalMaxPool", 1, 0, globalPoolKernel(nn.GlobalMaxPoolInto, "GlobalMaxPool"))
}

// poolPlan is a pool node's attributes resolved against one input shape,
// kept in the step's memo: PoolParamsOf and ResolvePool allocate a dozen
// small slices, per run a tenth of a small CNN's allocations.
type poolPlan struct {
	x   []int
	p   nn.PoolParams
	g   *nn.PoolGeometry
	out []int
}

// resolvePool returns the plan of c's pool node for input shape x, from
// the memo when the shape is the one it was made for.
func resolvePool(c *Context, op string, x []int) (*poolPlan, error) {
	if c.memo != nil {
		if pp, ok := (*c.memo).(*poolPlan); ok && slices.Equal(pp.x, x) {
			return pp, nil
		}
	}
	p := nn.PoolParamsOf(c.Node)
	g, err := nn.ResolvePool(op, x, p)
	if err != nil {
		return nil, err
	}
	pp := &poolPlan{x: slices.Clone(x), p: p, g: g, out: g.OutShape()}
	if c.memo != nil {
		*c.memo = pp
	}
	return pp, nil
}

func maxPoolKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	pp, err := resolvePool(c, "MaxPool", in[0].Shape)
	if err != nil {
		return nil, err
	}
	p, g := pp.p, pp.g
	y, err := alloc(c, in[0].DType, pp.out)
	if err != nil {
		return nil, err
	}
	var indices *tensor.Tensor
	if len(c.Node.Output) > 1 && c.Node.Output[1] != "" {
		if indices, err = alloc(c, tensor.Int64, pp.out); err != nil {
			return nil, err
		}
	}
	if err := nn.MaxPoolInto(y, indices, in[0], g, p.ColumnMajorIndices); err != nil {
		return nil, err
	}
	if indices != nil {
		return []*tensor.Tensor{y, indices}, nil
	}
	return []*tensor.Tensor{y}, nil
}

func averagePoolKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if err := requireFloat32("AveragePool", in, "X"); err != nil {
		return nil, err
	}
	pp, err := resolvePool(c, "AveragePool", in[0].Shape)
	if err != nil {
		return nil, err
	}
	y, err := alloc(c, tensor.Float32, pp.out)
	if err != nil {
		return nil, err
	}
	if err := nn.AveragePoolInto(y, in[0], pp.g, pp.p.CountIncludePad); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

func globalPoolKernel(run func(y, x *tensor.Tensor) error, op string) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		if err := requireFloat32(op, in, "X"); err != nil {
			return nil, err
		}
		shape, err := nn.GlobalPoolShape(op, in[0].Shape)
		if err != nil {
			return nil, err
		}
		y, err := alloc(c, tensor.Float32, shape)
		if err != nil {
			return nil, err
		}
		if err := run(y, in[0]); err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}
}
