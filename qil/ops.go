package qil

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/custom"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// Domain is the ONNX domain of QIL's training-time operators. A model
// holding them runs in Pare (and trains); Export replaces them with
// standard operators.
const Domain = "pare.qil"

// The operators, opset 1 of Domain:
//
//	QILWeight(W, c, d, gamma[, unit]) -> W_q   attribute bits (2..8)
//	QILAct(X, c, d) -> X_q                     attributes bits (2..8), signed (0|1)
//
// c, d and gamma are one-element float tensors: the layer's interval.
// With the optional unit (a constant, not trained: one positive value per
// index of W's axis 0), c and d have one element per output channel too,
// and channel k's interval is (c[k]*unit[k], d[k]*unit[k]), gamma shared:
// the per-channel weight intervals (Config.Intervals).
const (
	OpWeight = "QILWeight"
	OpAct    = "QILAct"
)

func init() {
	for _, op := range []custom.Op{
		{Domain: Domain, OpType: OpWeight, MinOpset: 1, Kernel: weightKernel, Shape: custom.SameAsInput(0),
			Train: &train.Op{Forward: weightForward, Backward: weightBackward, Inputs: []int{0, 1, 2, 3}}},
		{Domain: Domain, OpType: OpAct, MinOpset: 1, Kernel: actKernel, Shape: custom.SameAsInput(0),
			Train: &train.Op{Backward: actBackward, Inputs: []int{0, 1, 2}}},
	} {
		if err := custom.Register(op); err != nil {
			panic(err)
		}
	}
}

// nodeBits reads and checks the bits attribute.
func nodeBits(n *onnx.Node) (int, error) {
	b := n.AttrInt("bits", 0)
	if b < MinBits || b > MaxBits {
		return 0, fmt.Errorf("%s %q: bits is %d; QIL quantizes to %d..%d bits", n.OpType, n.Name, b, MinBits, MaxBits)
	}
	return int(b), nil
}

// scalar reads a one-element float32 interval parameter.
func scalar(in []*tensor.Tensor, i int, what string) (float32, error) {
	if i >= len(in) || in[i] == nil || in[i].DType != tensor.Float32 || len(in[i].F32) != 1 {
		return 0, fmt.Errorf("input %d (%s) must be a one-element float32 tensor", i, what)
	}
	v := in[i].F32[0]
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return 0, fmt.Errorf("input %d (%s) is %v", i, what, v)
	}
	return v, nil
}

// interval reads c and d and checks QIL's guards d > 0 and c - d >= 0.
func interval(in []*tensor.Tensor) (c, d float32, err error) {
	if c, err = scalar(in, 1, "interval centre c"); err != nil {
		return
	}
	if d, err = scalar(in, 2, "interval half-width d"); err != nil {
		return
	}
	if d <= 0 || c-d < 0 {
		err = fmt.Errorf("the interval c=%g, d=%g breaks the guards d > 0 and c - d >= 0", c, d)
	}
	return
}

func floatInput(in []*tensor.Tensor) (*tensor.Tensor, error) {
	if len(in) == 0 || in[0] == nil || in[0].DType != tensor.Float32 {
		return nil, fmt.Errorf("input 0 must be a float32 tensor")
	}
	return in[0], nil
}

type weightArgs struct {
	w *tensor.Tensor
	// c and d are the interval of each output channel (absolute, after
	// unit), or one entry for the whole tensor; inner is the number of
	// weights per entry, which are contiguous.
	c, d  []float32
	inner int
	// unit is nil for a per-layer interval; for per-channel intervals the
	// c and d inputs are in units of unit[k] (channel k's interval is
	// c[k]*unit[k], d[k]*unit[k]), so that one relative learning rate
	// moves every channel's interval by the same fraction of its size.
	unit  []float32
	gamma float32
	q     int
}

func readWeightArgs(n *onnx.Node, in []*tensor.Tensor) (weightArgs, error) {
	var a weightArgs
	bits, err := nodeBits(n)
	if err != nil {
		return a, err
	}
	if a.w, err = floatInput(in); err != nil {
		return a, err
	}
	if len(in) > 4 && in[4] != nil {
		if err := a.readChannels(in); err != nil {
			return a, err
		}
	} else {
		c, d, err := interval(in)
		if err != nil {
			return a, err
		}
		a.c, a.d, a.inner = []float32{c}, []float32{d}, len(a.w.F32)
	}
	if a.gamma, err = scalar(in, 3, "exponent gamma"); err != nil {
		return a, err
	}
	if a.gamma <= 0 {
		return a, fmt.Errorf("gamma is %g; it must be positive", a.gamma)
	}
	a.q = weightSteps(bits)
	return a, nil
}

// readChannels reads per-channel intervals: c, d and unit with one entry
// per index of the weight's axis 0 (the output channel of a Conv), and
// checks the guards d > 0 and c - d >= 0 of every channel's interval as
// the kernel uses it (c*unit, d*unit in float32: rounding is monotone, so
// c >= d stays c*unit >= d*unit).
func (a *weightArgs) readChannels(in []*tensor.Tensor) error {
	if len(a.w.Shape) == 0 || a.w.Shape[0] == 0 {
		return fmt.Errorf("per-channel intervals need a weight with output channels on axis 0")
	}
	n := a.w.Shape[0]
	var v [3][]float32
	for i, what := range []string{"interval centres c", "interval half-widths d", "channel units"} {
		t := in[[]int{1, 2, 4}[i]]
		if t == nil || t.DType != tensor.Float32 || len(t.F32) != n {
			return fmt.Errorf("input %d (%s) must be a float32 tensor of %d elements, one per output channel", []int{1, 2, 4}[i], what, n)
		}
		v[i] = t.F32
	}
	a.unit = v[2]
	a.c, a.d, a.inner = make([]float32, n), make([]float32, n), len(a.w.F32)/n
	for k, u := range a.unit {
		if !(u > 0) || math.IsInf(float64(u), 0) {
			return fmt.Errorf("channel %d's unit is %g; it must be a positive number", k, u)
		}
		c, d := v[0][k]*u, v[1][k]*u
		if math.IsNaN(float64(c+d)) || math.IsInf(float64(c+d), 0) || d <= 0 || c-d < 0 {
			return fmt.Errorf("channel %d's interval c=%g, d=%g breaks the guards d > 0 and c - d >= 0", k, c, d)
		}
		a.c[k], a.d[k] = c, d
	}
	return nil
}

// levels calls f with each weight's index, integer level and the real
// value of one level of its channel.
func (a weightArgs) levels(f func(i, level int, scale float32)) {
	for k := range a.c {
		c, d := a.c[k], a.d[k]
		scale := weightScale(c, d, a.q)
		for i := k * a.inner; i < (k+1)*a.inner; i++ {
			f(i, weightLevel(a.w.F32[i], c, d, a.gamma, a.q), scale)
		}
	}
}

func weightKernel(c *exec.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, err := readWeightArgs(c.Node, in)
	if err != nil {
		return nil, err
	}
	y := c.Alloc(tensor.Float32, a.w.Shape)
	a.levels(func(i, level int, scale float32) { y.F32[i] = float32(level) * scale })
	return []*tensor.Tensor{y}, nil
}

// weightGrads returns the gradients of sum(dy * w_q) with respect to W and
// to the c, d inputs (one entry per entry of a.c: per channel, in the
// inputs' units) and gamma. With discrete false the rounding is left out
// of the forward value too (the continuous transformer, for gradient
// checks).
//
// saved, when not nil, is T and ln u of every weight as the forward
// computed them (weightForward), which spares the power and the
// logarithm (weightGradsSaved). into, when not nil, is where W's
// gradient goes (every element written); nil allocates it.
func weightGrads(a weightArgs, dy []float32, discrete bool, saved *savedTransform, into []float32) (dw []float32, dc, dd []float64, dg float64) {
	dw = into
	if dw == nil {
		dw = make([]float32, len(a.w.F32))
	}
	if saved != nil {
		return weightGradsSaved(a, dy, discrete, saved, dw)
	}
	dc, dd = make([]float64, len(a.c)), make([]float64, len(a.c))
	g, q := float64(a.gamma), float64(a.q)
	for k := range a.c {
		c, d, s := float64(a.c[k]), float64(a.d[k]), float64(a.c[k]+a.d[k])
		for i := k * a.inner; i < (k+1)*a.inner; i++ {
			v := a.w.F32[i]
			sign := 1.0
			if v < 0 {
				sign = -1
			}
			tr := transformWeight(math.Abs(float64(v)), c, d, g)
			level := tr.t
			if discrete {
				level = math.RoundToEven(q*tr.t) / q
			}
			gy := float64(dy[i])
			dw[i] = float32(gy * s * tr.da)
			dc[k] += gy * sign * (level + s*tr.dc)
			dd[k] += gy * sign * (level + s*tr.dd)
			dg += gy * sign * s * tr.dg
		}
		if a.unit != nil {
			// c_k = c_in[k]*unit[k]: the chain rule's factor.
			dc[k] *= float64(a.unit[k])
			dd[k] *= float64(a.unit[k])
		}
	}
	return
}

func weightBackward(g *train.NodeGrad) ([]*tensor.Tensor, error) {
	a, err := readWeightArgs(g.Node, g.In)
	if err != nil {
		return nil, err
	}
	var saved *savedTransform
	if s, ok := g.Saved.(savedTransform); ok && len(s.t) == len(a.w.F32) && len(s.logU) == len(a.w.F32) {
		saved = &s
	}
	// W's gradient in a buffer of the net's pool: a weight-sized tensor
	// every step otherwise.
	dw := g.Buffer(a.w.Shape, false)
	_, dc, dd, dg := weightGrads(a, g.DOut[0].F32, true, saved, dw.F32)
	return []*tensor.Tensor{
		dw,
		vectorLike(g.In[1], dc), vectorLike(g.In[2], dd), scalarLike(g.In[3], dg),
	}, nil
}

// vectorLike is v in a float32 tensor shaped like t.
func vectorLike(t *tensor.Tensor, v []float64) *tensor.Tensor {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.FromF32(t.Shape, f)
}

func scalarLike(t *tensor.Tensor, v float64) *tensor.Tensor {
	return tensor.FromF32(t.Shape, []float32{float32(v)})
}

type actArgs struct {
	x      *tensor.Tensor
	c, d   float32
	signed bool
	grid   actGrid
}

func readActArgs(n *onnx.Node, in []*tensor.Tensor) (actArgs, error) {
	var a actArgs
	bits, err := nodeBits(n)
	if err != nil {
		return a, err
	}
	if a.x, err = floatInput(in); err != nil {
		return a, err
	}
	if a.c, a.d, err = interval(in); err != nil {
		return a, err
	}
	switch n.AttrInt("signed", 0) {
	case 0:
	case 1:
		a.signed = true
	default:
		return a, fmt.Errorf("signed must be 0 or 1")
	}
	a.grid = newActGrid(a.c, a.d, actSteps(bits, a.signed))
	return a, nil
}

func actKernel(c *exec.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, err := readActArgs(c.Node, in)
	if err != nil {
		return nil, err
	}
	y := c.Alloc(tensor.Float32, a.x.Shape)
	q := a.grid.fakeQuant(a.signed)
	q.Apply(y.F32, a.x.F32)
	return []*tensor.Tensor{y}, nil
}

func actBackward(g *train.NodeGrad) ([]*tensor.Tensor, error) {
	a, err := readActArgs(g.Node, g.In)
	if err != nil {
		return nil, err
	}
	// dx from the net's buffer pool: a fresh one per quantizer and step
	// was an activation-sized allocation and clearing each.
	dx := g.Buffer(a.x.Shape, !actGradsWritesEveryElement(a, true))
	dc, dd := actGradsInto(dx.F32, a, g.DOut[0].F32, true)
	return []*tensor.Tensor{dx, scalarLike(g.In[1], dc), scalarLike(g.In[2], dd)}, nil
}
