package train

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// Backward rules of the element-wise activations. Each derivative is read
// from the forward input (or output, where that is cheaper and exact).

func init() {
	registerGrad("Relu", reluGrad, 0)
	registerGrad("LeakyRelu", pointwiseGrad(func(c *gradContext) (func(x, y float32) float32, error) {
		alpha := c.node.AttrFloat("alpha", 0.01)
		return func(x, _ float32) float32 {
			if x > 0 {
				return 1
			}
			return alpha
		}, nil
	}), 0)
	registerGrad("Sigmoid", pointwiseGrad(func(c *gradContext) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return y * (1 - y) }, nil
	}), 0)
	registerGrad("Tanh", pointwiseGrad(func(c *gradContext) (func(x, y float32) float32, error) {
		return func(_, y float32) float32 { return 1 - y*y }, nil
	}), 0)
	registerGrad("HardSigmoid", pointwiseGrad(func(c *gradContext) (func(x, y float32) float32, error) {
		alpha := c.node.AttrFloat("alpha", 0.2)
		beta := c.node.AttrFloat("beta", 0.5)
		return func(x, _ float32) float32 {
			if v := alpha*x + beta; v > 0 && v < 1 {
				return alpha
			}
			return 0
		}, nil
	}), 0)
	registerGrad("HardSwish", pointwiseGrad(func(c *gradContext) (func(x, y float32) float32, error) {
		return func(x, _ float32) float32 {
			switch {
			case x < -3:
				return 0
			case x > 3:
				return 1
			}
			return x/3 + 0.5
		}, nil
	}), 0)
	registerGrad("Clip", clipGrad, 0)
	registerViewGrad("Identity", reshapeGrad, 0)
	registerGrad("PRelu", preluGrad, 0, 1)
}

// reluGrad is the hottest rule of a CNN; a plain loop, without the
// per-element call of pointwiseGrad, in place when it owns the output
// gradient. It reads the output (y > 0 exactly where x > 0), which is also
// right when a BatchNormalization computed the ReLU in place
// (Net.fusedRelu).
func reluGrad(c *gradContext) ([]*tensor.Tensor, error) {
	y, dy := c.out[0], c.dOut[0]
	if err := requireF32(y, "Y"); err != nil {
		return nil, err
	}
	dx := dy
	if !c.ownOut[0] {
		dx = c.net.pool.get(phaseBackward, y.Shape, false) // ReluMask writes every element
	}
	nn.ReluMask(dx.F32[:len(y.F32)], dy.F32[:len(y.F32)], y.F32)
	return []*tensor.Tensor{dx}, nil
}

// pointwiseGrad builds the rule dx = dy * f'(x, y) from a derivative
// maker that reads the node's attributes once.
func pointwiseGrad(derivative func(c *gradContext) (func(x, y float32) float32, error)) gradFunc {
	return func(c *gradContext) ([]*tensor.Tensor, error) {
		x, y, dy := c.in[0], c.out[0], c.dOut[0]
		if err := requireF32(x, "X"); err != nil {
			return nil, err
		}
		f, err := derivative(c)
		if err != nil {
			return nil, err
		}
		dx := pointwiseOut(c)
		xs, ys := x.F32, y.F32
		for i, g := range dy.F32 {
			dx.F32[i] = g * f(xs[i], ys[i])
		}
		return []*tensor.Tensor{dx}, nil
	}
}

// pointwiseOut is where an element-wise rule writes dx: the output
// gradient itself when the rule owns it (each element is read before it
// is written), else a buffer of the net's pool, every element of which
// the rule writes.
func pointwiseOut(c *gradContext) *tensor.Tensor {
	if c.ownOut[0] {
		return c.dOut[0]
	}
	return c.net.pool.get(phaseBackward, c.in[0].Shape, false)
}

// clipGrad passes the gradient where min <= x <= max (the bounds
// themselves count as inside, as in PyTorch): a mobile net's ReLU6, one
// or two per block, so nn.ClipGrad's vector loop rather than
// pointwiseGrad's call per element. Outside, dx is dy * 0 (a signed zero,
// NaN for an infinite dy), as the derivative 0 would give.
func clipGrad(c *gradContext) ([]*tensor.Tensor, error) {
	x, dy := c.in[0], c.dOut[0]
	if err := requireF32(x, "X"); err != nil {
		return nil, err
	}
	lo, hi, err := clipBounds(c)
	if err != nil {
		return nil, err
	}
	dx := pointwiseOut(c)
	nn.ClipGrad(dx.F32[:len(x.F32)], dy.F32, x.F32, lo, hi)
	return []*tensor.Tensor{dx}, nil
}

// clipBounds reads a Clip's bounds: attributes before opset 11, optional
// scalar inputs from then on; a missing bound is infinite.
func clipBounds(c *gradContext) (lo, hi float32, err error) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	if c.opset < 11 {
		lo = c.node.AttrFloat("min", lo)
		hi = c.node.AttrFloat("max", hi)
	} else {
		for i, dst := range []*float32{&lo, &hi} {
			if t := inputAt(c.in, i+1); t != nil {
				if t.DType != tensor.Float32 || t.Len() != 1 {
					return 0, 0, fmt.Errorf("Clip bound %d must be a float32 scalar", i+1)
				}
				*dst = t.F32[0]
			}
		}
	}
	return lo, hi, nil
}

// preluGrad: y = x for x > 0, slope*x otherwise, the slope broadcast to x.
func preluGrad(c *gradContext) ([]*tensor.Tensor, error) {
	x, slope, dy := c.in[0], c.in[1], c.dOut[0]
	if err := requireF32(x, "X"); err != nil {
		return nil, err
	}
	sShape := slope.Shape
	if c.opset < 7 && len(sShape) == 1 && len(x.Shape) > 2 && sShape[0] == x.Shape[1] {
		// Before opset 7 a 1-D slope is per channel.
		sShape = make([]int, len(x.Shape)-1)
		for i := range sShape {
			sShape[i] = 1
		}
		sShape[0] = slope.Shape[0]
	}
	st, err := broadcastStrides(sShape, x.Shape)
	if err != nil {
		return nil, err
	}
	dx := tensor.New(tensor.Float32, x.Shape)
	ds := tensor.New(tensor.Float32, slope.Shape)
	xs, s, g := x.F32, slope.F32, dy.F32
	newWalker(x.Shape, st).rows(func(n int, off, step []int) {
		o, si, ss := off[0], off[1], step[1]
		for j := 0; j < n; j++ {
			v := xs[o+j]
			if v > 0 {
				dx.F32[o+j] = g[o+j]
			} else {
				dx.F32[o+j] = g[o+j] * s[si+j*ss]
				ds.F32[si+j*ss] += g[o+j] * v
			}
		}
	})
	return []*tensor.Tensor{dx, ds}, nil
}

func requireF32(t *tensor.Tensor, name string) error {
	if t == nil {
		return fmt.Errorf("input %s is missing", name)
	}
	if t.DType != tensor.Float32 {
		return fmt.Errorf("input %s is %v; training supports float32", name, t.DType)
	}
	return nil
}

func inputAt(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}
