package train

import (
	"github.com/pare-ml/pare/core/tensor"
)

// Backward rules of Add, Sub, Mul and Div with multidirectional
// broadcasting: each operand's gradient is summed back over the dimensions
// it was broadcast along, in the same pass that computes it.

func init() {
	registerViewGrad("Add", addGrad, 0, 1)
	registerGrad("Sub", binaryGrad(func(g, a, b float32) (float32, float32) { return g, -g }), 0, 1)
	registerGrad("Mul", binaryGrad(func(g, a, b float32) (float32, float32) { return g * b, g * a }), 0, 1)
	registerGrad("Div", binaryGrad(func(g, a, b float32) (float32, float32) {
		q := g / b
		return q, -q * a / b
	}), 0, 1)
}

// addGrad passes the output gradient to operands of the output's shape
// unchanged (a residual connection's two branches), and reduces it for
// broadcast ones.
func addGrad(c *gradContext) ([]*tensor.Tensor, error) {
	dy := c.dOut[0]
	if c.opset < 7 && c.node.AttrInt("broadcast", 0) != 0 {
		return addGeneral(c)
	}
	grads := make([]*tensor.Tensor, 2)
	for i := 0; i < 2; i++ {
		if !c.need[i] {
			continue
		}
		if err := requireF32(c.in[i], "A or B"); err != nil {
			return nil, err
		}
		red, err := reduceTo(dy.F32, dy.Shape, c.in[i].Shape)
		if err != nil {
			return nil, err
		}
		grads[i] = tensor.FromF32(c.in[i].Shape, red)
	}
	return grads, nil
}

var addGeneral = binaryGrad(func(g, a, b float32) (float32, float32) { return g, g })

// binaryGrad builds a rule from the local derivative: given the output
// gradient g and the operands a and b at one position, the contributions
// to dA and dB.
func binaryGrad(local func(g, a, b float32) (float32, float32)) gradFunc {
	return func(c *gradContext) ([]*tensor.Tensor, error) {
		a, b, dy := c.in[0], c.in[1], c.dOut[0]
		if err := requireF32(a, "A"); err != nil {
			return nil, err
		}
		if err := requireF32(b, "B"); err != nil {
			return nil, err
		}
		out := dy.Shape
		if c.opset < 7 && c.node.AttrInt("broadcast", 0) != 0 {
			// Legacy broadcast: B aligns with A starting at axis.
			bs, err := legacyBroadcastShape(b.Shape, a.Shape, int(c.node.AttrInt("axis", -1)))
			if err != nil {
				return nil, err
			}
			b = &tensor.Tensor{DType: b.DType, Shape: bs, F32: b.F32}
		}
		sa, err := broadcastStrides(a.Shape, out)
		if err != nil {
			return nil, err
		}
		sb, err := broadcastStrides(b.Shape, out)
		if err != nil {
			return nil, err
		}
		da := tensor.New(tensor.Float32, a.Shape)
		db := tensor.New(tensor.Float32, b.Shape)
		av, bv, gv := a.F32, b.F32, dy.F32
		newWalker(out, sa, sb).rows(func(n int, off, step []int) {
			o, ia, ib := off[0], off[1], off[2]
			sta, stb := step[1], step[2]
			for j := 0; j < n; j++ {
				ga, gb := local(gv[o+j], av[ia+j*sta], bv[ib+j*stb])
				da.F32[ia+j*sta] += ga
				db.F32[ib+j*stb] += gb
			}
		})
		return []*tensor.Tensor{da, db}, nil
	}
}

// legacyBroadcastShape pads b's shape with ones so that it aligns with a
// from axis (opset < 7 broadcast=1; axis -1 means suffix alignment).
func legacyBroadcastShape(b, a []int, axis int) ([]int, error) {
	if axis < 0 {
		axis = len(a) - len(b)
	}
	s := make([]int, len(a))
	for i := range s {
		s[i] = 1
	}
	for i, d := range b {
		if axis+i >= len(s) {
			return nil, errShape("legacy broadcast", b, a)
		}
		s[axis+i] = d
	}
	return s, nil
}
