package exec

import (
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// Gemm and MatMul: bindings of core/nn.
//
// Gemm-1 and -6 carry a broadcast attribute; C then either matches the
// output or broadcasts unidirectionally, which is what Gemm-7 and later
// always allow, so one kernel applies the later rule to every form. C is
// optional from Gemm-11.

func init() {
	Register("Gemm", 1, 0, gemmKernel)
	Register("MatMul", 1, 0, matMulKernel)
}

func gemmKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := requireFloat32("Gemm", in, "A", "B", "C"); err != nil {
		return nil, err
	}
	p := nn.GemmParams{
		TransA: c.Node.AttrInt("transA", 0) != 0,
		TransB: c.Node.AttrInt("transB", 0) != 0,
		Alpha:  c.Node.AttrFloat("alpha", 1),
		Beta:   c.Node.AttrFloat("beta", 1),
	}
	cIn := input(in, 2)
	var cShape []int
	if cIn != nil {
		cShape = cIn.Shape
	}
	shape, err := nn.GemmShape(in[0].Shape, in[1].Shape, cShape, p)
	if err != nil {
		return nil, err
	}
	y, err := alloc(c, tensor.Float32, shape)
	if err != nil {
		return nil, err
	}
	if err := nn.GemmInto(y, in[0], in[1], cIn, p); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

func matMulKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	if err := requireFloat32("MatMul", in, "A", "B"); err != nil {
		return nil, err
	}
	shape, err := matMulShape(c, in[0].Shape, in[1].Shape)
	if err != nil {
		return nil, err
	}
	y, err := alloc(c, tensor.Float32, shape)
	if err != nil {
		return nil, err
	}
	if err := nn.MatMulInto(y, in[0], in[1]); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// matMulPlan is a MatMul's output shape for one pair of operand shapes,
// kept in the step's memo.
type matMulPlan struct{ a, b, out []int }

// matMulShape is nn.MatMulShape through c's memo.
func matMulShape(c *Context, a, b []int) ([]int, error) {
	if c.memo != nil {
		if mp, ok := (*c.memo).(*matMulPlan); ok && slices.Equal(mp.a, a) && slices.Equal(mp.b, b) {
			return mp.out, nil
		}
	}
	out, err := nn.MatMulShape(a, b)
	if err != nil {
		return nil, err
	}
	if c.memo != nil {
		*c.memo = &matMulPlan{a: slices.Clone(a), b: slices.Clone(b), out: out}
	}
	return out, nil
}
