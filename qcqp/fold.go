package qcqp

import (
	"math"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// A removed channel is the channel its producers would write with their
// filters zeroed: the producer's bias, carried through batch norm,
// activations and pooling, is a constant c per channel. Dropping it from
// the next layer's input loses sum_taps W[j,c,taps] * c from each output
// j; folding adds that back to the next layer's bias, so the pruned model
// equals the original with the removed filters zeroed. The fold is exact
// where the next layer sees the constant at every tap: everywhere for
// Gemm/MatMul and unpadded convs, away from the border for padded convs
// (the padding contributes zeros where the constant would have been).
//
// The constants are propagated op by op (channelConstants); a channel
// whose value depends on an op the propagation does not model is NaN and
// is not folded.

// foldedBiases returns, per bias-like tensor (conv or Gemm bias, a
// per-channel Add right after a bias-free layer, or a following
// BatchNormalization's mean, which takes the negated amount), the amount
// to add at each unpruned output channel.
func (a *Analysis) foldedBiases(sel *Selection) (map[string][]float32, error) {
	consts, err := a.channelConstants()
	if err != nil {
		return nil, err
	}
	out := map[string][]float32{}
	for k := range a.layers {
		rec := &a.layers[k]
		if rec.diagonal {
			continue
		}
		v := consts[rec.node.Input[0]]
		if v == nil {
			continue
		}
		removed := map[int]bool{}
		off := 0
		for _, seg := range rec.in.segs {
			for c, on := range sel.Keep[a.mapOf(seg)] {
				if !on && !math.IsNaN(v[off+c]) && v[off+c] != 0 {
					removed[off+c] = true
				}
			}
			off += a.raw[seg].channels
		}
		if len(removed) == 0 {
			continue
		}
		target, sign := a.biasOf(rec)
		if target == "" {
			continue
		}
		w, err := tensor.FromONNX(a.Shapes.Graph.Initializer(rec.weight))
		if err != nil {
			return nil, err
		}
		delta := out[target]
		if delta == nil {
			delta = make([]float32, rec.nOut)
			out[target] = delta
		}
		for j := range rec.nOut {
			var s float64
			for col := range rec.nIn {
				c := col / rec.block
				if !removed[c] {
					continue
				}
				x := w.F32[col*rec.nOut+j]
				if rec.outMajor {
					x = w.F32[j*rec.nIn+col]
				}
				s += float64(x) * v[c]
			}
			delta[j] += float32(sign * s)
		}
	}
	return out, nil
}

// biasOf finds where a layer's constant offset per output channel lives:
// its own bias input, a per-channel constant Add that alone reads its
// output, or the mean of a BatchNormalization that does (sign -1).
func (a *Analysis) biasOf(rec *layerRec) (string, float64) {
	n := rec.node
	g := a.Shapes.Graph
	bias := 2
	if n.OpType == "MatMul" {
		bias = -1
	}
	if bias > 0 && len(n.Input) > bias && n.Input[bias] != "" {
		if g.Initializer(n.Input[bias]) != nil && tensorElems(a.Shapes.Dims(n.Input[bias])) == rec.nOut {
			return n.Input[bias], 1
		}
		return "", 0
	}
	cons := g.Consumers(n.Output[0])
	if len(cons) != 1 || len(cons[0].Input) < 2 {
		return "", 0
	}
	next := cons[0]
	switch {
	case next.OpType == "Add":
		other := next.Input[1]
		if other == n.Output[0] {
			other = next.Input[0]
		}
		if g.Initializer(other) != nil && tensorElems(a.Shapes.Dims(other)) == rec.nOut && a.axes[other] != nil {
			return other, 1
		}
	case next.OpType == "BatchNormalization" && next.Input[0] == n.Output[0] && len(next.Input) >= 5:
		if g.Initializer(next.Input[3]) != nil {
			return next.Input[3], -1
		}
	}
	return "", 0
}

// channelConstants computes, for every activation with channels, the
// value each channel takes when its producers' filters are zeroed (one
// value per channel; NaN where unknown).
func (a *Analysis) channelConstants() (map[string][]float64, error) {
	g := a.Shapes.Graph
	vals := map[string][]float64{}
	perChannel := func(name string, width int) []float64 {
		// A constant operand broadcast per channel (or a scalar).
		v := a.constant(name)
		if v == nil || v.Const.F32 == nil {
			return nil
		}
		out := make([]float64, width)
		n := len(v.Const.F32)
		for c := range out {
			switch n {
			case 1:
				out[c] = float64(v.Const.F32[0])
			case width:
				out[c] = float64(v.Const.F32[c])
			default:
				return nil
			}
		}
		return out
	}
	nan := func(w int) []float64 {
		v := make([]float64, w)
		for i := range v {
			v[i] = math.NaN()
		}
		return v
	}
	for _, n := range g.Order() {
		if len(n.Output) == 0 || a.chans[n.Output[0]] == nil {
			continue
		}
		out := n.Output[0]
		ct := a.chans[out]
		width := a.width(ct) / ct.inner
		in := func(i int) []float64 {
			if i >= len(n.Input) {
				return nil
			}
			v := vals[n.Input[i]]
			if v == nil || len(v) != width {
				return nil
			}
			return v
		}
		var r []float64
		switch n.OpType {
		case "Conv", "Gemm", "MatMul":
			r = make([]float64, width)
			if b := 2; n.OpType != "MatMul" && len(n.Input) > b && n.Input[b] != "" {
				if bv := perChannel(n.Input[b], width); bv != nil {
					r = bv
				} else {
					r = nan(width)
				}
			}
			if x := in(0); x != nil && n.OpType == "Conv" && ct == a.chans[n.Input[0]] {
				// Depthwise: the input channel is the same removed
				// constant, spread over the filter's taps.
				w, err := tensor.FromONNX(g.Initializer(n.Input[1]))
				if err != nil {
					return nil, err
				}
				taps := len(w.F32) / width
				for c := range r {
					var s float64
					for t := range taps {
						s += float64(w.F32[c*taps+t])
					}
					r[c] += s * x[c]
				}
			}
		case "BatchNormalization":
			x := in(0)
			sc, b, mean, v := perChannel(n.Input[1], width), perChannel(n.Input[2], width), perChannel(n.Input[3], width), perChannel(n.Input[4], width)
			if x == nil || sc == nil || b == nil || mean == nil || v == nil {
				break
			}
			eps := float64(n.AttrFloat("epsilon", 1e-5))
			r = make([]float64, width)
			for c := range r {
				r[c] = sc[c]*(x[c]-mean[c])/math.Sqrt(v[c]+eps) + b[c]
			}
		case "Add", "Sub", "Mul", "Div":
			x, y := in(0), in(1)
			if x == nil {
				x = perChannel(n.Input[0], width)
			}
			if y == nil {
				y = perChannel(n.Input[1], width)
			}
			if x == nil || y == nil {
				break
			}
			r = make([]float64, width)
			for c := range r {
				r[c] = arith(n.OpType, x[c], y[c])
			}
		case "Concat":
			for i := range n.Input {
				v := vals[n.Input[i]]
				if v == nil {
					r = nil
					break
				}
				r = append(r, v...)
			}
			if len(r) != width {
				r = nil
			}
		default:
			x := in(0)
			if x == nil {
				break
			}
			f := a.unaryFunc(n)
			if f == nil {
				break
			}
			r = make([]float64, width)
			for c := range r {
				r[c] = f(x[c])
			}
		}
		if r == nil {
			r = nan(width)
		}
		vals[out] = r
	}
	return vals, nil
}

func arith(op string, x, y float64) float64 {
	switch op {
	case "Add":
		return x + y
	case "Sub":
		return x - y
	case "Mul":
		return x * y
	}
	return x / y
}

// unaryFunc is what a channel-preserving op does to a constant channel.
func (a *Analysis) unaryFunc(n *onnx.Node) func(float64) float64 {
	switch n.OpType {
	case "Identity", "Dropout", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Pad",
		"Flatten", "Reshape", "Squeeze", "Unsqueeze", "ReduceMean", "ReduceMax", "ReduceMin":
		// A constant channel stays that constant (padding and
		// count_include_pad averaging differ at the border only).
		return func(x float64) float64 { return x }
	case "Relu":
		return func(x float64) float64 { return math.Max(0, x) }
	case "LeakyRelu":
		alpha := float64(n.AttrFloat("alpha", 0.01))
		return func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}
	case "Sigmoid":
		return func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	case "Tanh":
		return math.Tanh
	case "HardSigmoid":
		alpha, beta := float64(n.AttrFloat("alpha", 0.2)), float64(n.AttrFloat("beta", 0.5))
		return func(x float64) float64 { return math.Max(0, math.Min(1, alpha*x+beta)) }
	case "HardSwish":
		return func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }
	case "Clip":
		lo, hi := math.Inf(-1), math.Inf(1)
		if at := n.Attr("min"); at != nil {
			lo = float64(at.F)
		}
		if at := n.Attr("max"); at != nil {
			hi = float64(at.F)
		}
		for i, bound := range []*float64{&lo, &hi} {
			if len(n.Input) > i+1 && n.Input[i+1] != "" {
				v := a.constant(n.Input[i+1])
				if v == nil || len(v.Const.F32) != 1 {
					return nil
				}
				*bound = float64(v.Const.F32[0])
			}
		}
		return func(x float64) float64 { return math.Max(lo, math.Min(hi, x)) }
	}
	return nil
}
