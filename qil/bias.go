package qil

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// int32 biases, the last part of the QDQ convention: when a Conv or Gemm
// reads a QuantizeLinear -> DequantizeLinear activation (scale s_x, zero
// point 0) and a DequantizeLinear weight (scale s_w per tensor or per
// output channel), its bias is stored as int32 levels b_q = round(b /
// (s_x s_w[c])) behind a DequantizeLinear with that scale and no zero
// point. A runtime can then run the layer as QLinearConv or an integer
// GEMM: the accumulator sum(x_q w_q) has the same unit s_x s_w[c], so the
// bias is added in integers. The cost is the rounding of b to that unit,
// at most half of it per output channel, which moves the layer's output
// by at most s_x s_w[c] / 2 before its activation.
//
// CNTK-style exports (mnist-8) add the bias in a separate Add after a Conv
// without one; a per-channel constant Add that is the Conv's only reader
// becomes the Conv's bias input (the same sum, one node fewer). A bias
// that does not fit int32 at that unit stays float, and so does the bias
// of a layer whose input is not a zero-point-0 DequantizeLinear of a
// QuantizeLinear (the signed activation's Mul, a float layer): biasNotes
// says which and why, for metadata_props.

// quantizedLayer is a Conv or Gemm whose activation and weight both come
// out of DequantizeLinear, with the scales its bias needs.
type quantizedLayer struct {
	node *onnx.Node
	// sx is the activation's scale; sw the weight's, one entry per tensor
	// or one per output channel.
	sx       float32
	sw       []float32
	channels int
	// rank is the rank of the layer's output (for the per-channel Add).
	rank int
}

// quantizeBiases rewrites the bias of every quantized Conv and Gemm in m
// as described above and returns one note per layer whose bias stayed
// float.
func quantizeBiases(m *onnx.Model) ([]string, error) {
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, fmt.Errorf("qil: %w", err)
	}
	isOutput := map[string]bool{}
	for _, o := range m.Graph.Output {
		isOutput[o.Name] = true
	}
	var notes []string
	var drop []*onnx.Node
	for _, n := range m.Graph.Node {
		if !onnx.IsDefaultDomain(n.Domain) || (n.OpType != "Conv" && n.OpType != "Gemm") || len(n.Input) < 2 || len(n.Output) != 1 {
			continue
		}
		l, why := readQuantizedLayer(g, n)
		if l == nil {
			if why != "" && hasBias(g, n, isOutput) {
				notes = append(notes, fmt.Sprintf("%s float bias (%s)", nodeName(n), why))
			}
			continue
		}
		b, add := biasOf(g, l, isOutput)
		if b == nil {
			continue // no bias to store
		}
		levels, scales, why := int32Bias(b, l)
		if levels == nil {
			notes = append(notes, fmt.Sprintf("%s float bias (%s)", nodeName(n), why))
			continue
		}
		name := n.Output[0] + "_bias"
		if add != nil {
			name = add.Output[0] + "_bias"
		}
		bq := &tensor.Tensor{DType: tensor.Int32, Shape: []int{l.channels}, I32: levels}
		scaleShape := []int{}
		var attrs []*onnx.Attribute
		if len(scales) > 1 {
			scaleShape = []int{len(scales)}
			attrs = append(attrs, intAttr("axis", 0))
		}
		sc := tensor.FromF32(scaleShape, scales)
		inits := make([]*onnx.Tensor, 2)
		for i, t := range []*tensor.Tensor{bq, sc} {
			suffix := []string{"_int32", "_scale"}[i]
			if inits[i], err = tensor.ToONNX(t, name+suffix); err != nil {
				return nil, err
			}
		}
		m.Graph.Initializer = append(m.Graph.Initializer, inits...)
		m.Graph.Node = append(m.Graph.Node, &onnx.Node{Name: name + "_dq", OpType: "DequantizeLinear",
			Input: []string{inits[0].Name, inits[1].Name}, Output: []string{name}, Attribute: attrs})
		for len(n.Input) < 3 {
			n.Input = append(n.Input, "")
		}
		n.Input[2] = name
		if add != nil {
			n.Output[0] = add.Output[0]
			drop = append(drop, add)
		}
	}
	m.Graph.Node = slices.DeleteFunc(m.Graph.Node, func(n *onnx.Node) bool { return slices.Contains(drop, n) })
	return notes, nil
}

// readQuantizedLayer returns n's scales when its activation is a
// zero-point-0 DequantizeLinear of a QuantizeLinear and its weight a
// zero-point-0 DequantizeLinear of an integer initializer, per tensor or
// along the output axis; otherwise nil and why not ("" for a layer that
// is not quantized at all).
func readQuantizedLayer(g *graph.Graph, n *onnx.Node) (*quantizedLayer, string) {
	xdq, wdq := g.Producer(n.Input[0]), g.Producer(n.Input[1])
	wq := isDQ(wdq) && g.Initializer(wdq.Input[0]) != nil
	if !wq {
		return nil, ""
	}
	if !isDQ(xdq) || g.Initializer(xdq.Input[0]) != nil {
		return nil, "its input is not a QuantizeLinear -> DequantizeLinear"
	}
	if q := g.Producer(xdq.Input[0]); q == nil || q.OpType != "QuantizeLinear" {
		return nil, "its input is not a QuantizeLinear -> DequantizeLinear"
	}
	sx, ok := scaleOf(g, xdq)
	if !ok || len(sx) != 1 {
		return nil, "its input's scale is not one constant with zero point 0"
	}
	sw, ok := scaleOf(g, wdq)
	if !ok {
		return nil, "its weight's scale is not constant with zero point 0"
	}
	wt := g.Initializer(wdq.Input[0])
	rank := len(wt.Dims)
	l := &quantizedLayer{node: n, sx: sx[0], sw: sw, rank: rank}
	axis := 0
	switch n.OpType {
	case "Conv":
		if rank < 3 {
			return nil, "its weight is not a convolution kernel"
		}
	case "Gemm":
		if rank != 2 {
			return nil, "its weight is not a matrix"
		}
		if n.AttrFloat("alpha", 1) != 1 || n.AttrFloat("beta", 1) != 1 {
			return nil, "alpha or beta is not 1"
		}
		axis = outputAxis(n, rank)
		l.rank = 2
	}
	l.channels = int(wt.Dims[axis])
	if len(sw) > 1 {
		wAxis := wdq.AttrInt("axis", 1)
		if wAxis < 0 {
			wAxis += int64(rank)
		}
		if wAxis != int64(axis) || len(sw) != l.channels {
			return nil, "its weight's scales are not per output channel"
		}
	}
	return l, ""
}

func isDQ(n *onnx.Node) bool {
	return n != nil && n.OpType == "DequantizeLinear" && onnx.IsDefaultDomain(n.Domain) && len(n.Input) >= 2
}

// scaleOf returns the constant float scale of a DequantizeLinear whose
// zero point is absent or all zeros.
func scaleOf(g *graph.Graph, dq *onnx.Node) ([]float32, bool) {
	st := g.Initializer(dq.Input[1])
	if st == nil {
		return nil, false
	}
	s, err := tensor.FromONNX(st)
	if err != nil || s.DType != tensor.Float32 || len(s.Shape) > 1 {
		return nil, false
	}
	if len(dq.Input) > 2 && dq.Input[2] != "" {
		zt := g.Initializer(dq.Input[2])
		if zt == nil {
			return nil, false
		}
		z, err := tensor.FromONNX(zt)
		if err != nil {
			return nil, false
		}
		for i := range z.Len() {
			if zeroPointAt(z, i) != 0 {
				return nil, false
			}
		}
	}
	return s.F32, true
}

func zeroPointAt(z *tensor.Tensor, i int) int64 {
	switch z.DType {
	case tensor.Int8, tensor.Int4:
		return int64(z.I8[i])
	case tensor.Uint8, tensor.Uint4:
		return int64(z.U8[i])
	case tensor.Int32:
		return int64(z.I32[i])
	}
	return 1 // any other type: not a zero point this export writes
}

// hasBias reports whether n has a float bias, as an input or as a
// per-channel Add after it (for the notes).
func hasBias(g *graph.Graph, n *onnx.Node, isOutput map[string]bool) bool {
	if len(n.Input) > 2 && n.Input[2] != "" {
		return true
	}
	cs := g.Consumers(n.Output[0])
	return len(cs) == 1 && cs[0].OpType == "Add" && !isOutput[n.Output[0]]
}

// biasOf returns l's float bias, one value per output channel: its bias
// input when that is a float initializer, else the constant of an Add
// that is the layer's only reader and adds one value per channel (add is
// then that node). nil when there is none.
func biasOf(g *graph.Graph, l *quantizedLayer, isOutput map[string]bool) (b []float32, add *onnx.Node) {
	n := l.node
	if len(n.Input) > 2 && n.Input[2] != "" {
		t := g.Initializer(n.Input[2])
		if t == nil {
			return nil, nil
		}
		v, err := tensor.FromONNX(t)
		if err != nil || v.DType != tensor.Float32 || len(v.Shape) != 1 || v.Len() != l.channels {
			return nil, nil
		}
		return v.F32, nil
	}
	out := n.Output[0]
	cs := g.Consumers(out)
	if isOutput[out] || len(cs) != 1 || cs[0].OpType != "Add" || !onnx.IsDefaultDomain(cs[0].Domain) ||
		len(cs[0].Input) != 2 || cs[0].Input[0] == cs[0].Input[1] {
		return nil, nil
	}
	add = cs[0]
	other := add.Input[0]
	if other == out {
		other = add.Input[1]
	}
	t := g.Initializer(other)
	if t == nil {
		return nil, nil
	}
	v, err := tensor.FromONNX(t)
	if err != nil || v.DType != tensor.Float32 || v.Len() != l.channels || len(v.Shape) > l.rank {
		return nil, nil
	}
	// Right-aligned against the output, the channel axis (1) must hold
	// the values and every other axis be 1, so the Add does not broadcast
	// the output to a larger shape.
	axis := len(v.Shape) - (l.rank - 1)
	if axis < 0 || v.Shape[axis] != l.channels {
		return nil, nil
	}
	for i, d := range v.Shape {
		if i != axis && d != 1 {
			return nil, nil
		}
	}
	return v.F32, add
}

// int32Bias rounds b to the unit s_x s_w[c] of each output channel. The
// unit is computed in float32, as the stored scale that both the runtime's
// DequantizeLinear and an integer kernel use. It returns nil and why when
// a level does not fit int32 or a unit is not a positive finite number.
func int32Bias(b []float32, l *quantizedLayer) (levels []int32, scales []float32, why string) {
	scales = make([]float32, len(l.sw))
	for i, s := range l.sw {
		scales[i] = l.sx * s
		if !(scales[i] > 0) || math.IsInf(float64(scales[i]), 0) {
			return nil, nil, fmt.Sprintf("the bias unit s_x*s_w = %g is not a positive number", scales[i])
		}
	}
	levels = make([]int32, len(b))
	for c, v := range b {
		s := scales[0]
		if len(scales) > 1 {
			s = scales[c]
		}
		q := math.RoundToEven(float64(v) / float64(s))
		if !(math.Abs(q) <= math.MaxInt32) {
			return nil, nil, fmt.Sprintf("bias %g of channel %d is %g units of %g, beyond int32", v, c, q, s)
		}
		levels[c] = int32(q)
	}
	return levels, scales, ""
}
