package cost

import (
	"fmt"
	"slices"
)

// Channels says how every figure Analyze reports changes when the channel
// counts of a model's conv and linear layers change: which feature maps
// must keep equal counts (groups), and each node's MACs, parameters,
// activation bytes and live memory as polynomials in the groups' counts.
// Predict evaluates them: for any counts, it gives the report Analyze
// measures on the model edited to those counts (weights sliced along the
// axes Tensors lists, depthwise "group" attributes set to the count).
type Channels struct {
	// Groups are the channel counts: one per output of a Conv, Gemm or
	// MatMul, shared by every value that carries those channels on
	// (BatchNormalization, activations, pooling, Flatten); a residual Add
	// or a Mul ties its inputs into one group, a Concat along channels
	// lines groups up one after another.
	Groups []ChannelGroup
	// Layers has one entry per Conv, Gemm and MatMul node, in topological
	// order.
	Layers []ChannelLayer
	// Live[i] is the activation memory alive while the i-th node (in
	// topological order, as Report.Layers) runs: the peak is the largest.
	Live []Poly

	nodes       []nodeModel
	values      map[string]valueModel
	schedule    *Liveness
	inputShapes map[string][]int
}

// ChannelGroup is one channel count that can change, or that is pinned.
type ChannelGroup struct {
	// Name is the first value that carries the group's channels.
	Name string `json:"name"`
	// Channels is the count in the model analysed.
	Channels int `json:"channels"`
	// Fixed groups cannot change: graph inputs and outputs, channels a
	// node the analysis does not follow reads or writes (Reshape to
	// another layout, Split, Transpose, a grouped conv). Reason says why.
	Fixed  bool   `json:"fixed"`
	Reason string `json:"reason,omitempty"`
	// Tensors are the initializer axes that hold one entry per channel of
	// the group.
	Tensors []TensorSlice `json:"tensors"`
}

// TensorSlice locates a group's channels in an initializer: entries
// [Offset, Offset+Channels) along Axis (a Concat puts several groups on
// one axis, one after another).
type TensorSlice struct {
	Name   string `json:"name"`
	Axis   int    `json:"axis"`
	Offset int    `json:"offset"`
}

// ChannelLayer is a Conv, Gemm or MatMul node with its costs as functions
// of channel counts.
type ChannelLayer struct {
	Index  int    `json:"node_index"` // position in graph.node
	Name   string `json:"name"`
	OpType string `json:"op_type"`
	// In and Out are the groups along the input and output channel axes
	// (more than one where a Concat feeds the layer). A depthwise conv has
	// Out equal to In, and its "group" attribute is their count.
	In        []int `json:"in"`
	Out       []int `json:"out"`
	Depthwise bool  `json:"depthwise,omitempty"`
	// MACs, Params (weights, bias, and the BatchNormalization that reads
	// the layer's output), ActivationBytes (the layer's outputs) and
	// LiveBytes (all activation memory alive while it runs).
	MACs            Poly `json:"macs"`
	Params          Poly `json:"params"`
	ActivationBytes Poly `json:"activation_bytes"`
	LiveBytes       Poly `json:"live_bytes"`
}

// nodeModel is one node's costs as polynomials.
type nodeModel struct {
	layer  Layer // Node, Index, Name, OpType, Outputs
	macs   Poly
	params Poly
}

// valueModel is one value: its dims, the groups along axis 1 (nil when
// its size does not change) and its size in bytes.
type valueModel struct {
	dims  []int
	segs  []int
	bytes Poly
}

// Counts returns the channel count of every group in the model analysed.
func (c *Channels) Counts() []int {
	n := make([]int, len(c.Groups))
	for i, g := range c.Groups {
		n[i] = g.Channels
	}
	return n
}

// Predict returns the report Analyze would give for the model with group
// i at n[i] channels (the model's input shapes as analysed). Fixed groups
// must keep their counts and every count must be at least 1.
func (c *Channels) Predict(n []int) (*Report, error) {
	if len(n) != len(c.Groups) {
		return nil, fmt.Errorf("cost: %d channel counts for %d groups", len(n), len(c.Groups))
	}
	for i, g := range c.Groups {
		if n[i] < 1 {
			return nil, fmt.Errorf("cost: group %d (%s) at %d channels; every group keeps at least one", i, g.Name, n[i])
		}
		if g.Fixed && n[i] != g.Channels {
			return nil, fmt.Errorf("cost: group %d (%s) is fixed at %d channels (%s), not %d", i, g.Name, g.Channels, g.Reason, n[i])
		}
	}
	rep := &Report{InputShapes: c.inputShapes}
	for _, nm := range c.nodes {
		l := nm.layer
		l.Outputs = slices.Clone(l.Outputs)
		l.MACs = nm.macs.Eval(n)
		l.Params = nm.params.Eval(n)
		for _, out := range l.Outputs {
			v := c.values[out]
			l.OutputShapes = append(l.OutputShapes, v.shapeAt(n))
			l.ActivationBytes += v.bytes.Eval(n)
		}
		rep.MACs += l.MACs
		rep.Params += l.Params
		rep.ActivationBytes += l.ActivationBytes
		rep.Layers = append(rep.Layers, l)
	}
	live, peak := c.schedule.run(func(name string) int64 { return c.values[name].bytes.Eval(n) })
	for i := range rep.Layers {
		rep.Layers[i].LiveBytes = live[i]
	}
	rep.PeakActivationBytes = peak
	return rep, nil
}

func (v valueModel) shapeAt(n []int) []int {
	dims := slices.Clone(v.dims)
	if v.segs != nil {
		dims[1] = 0
		for _, g := range v.segs {
			dims[1] += n[g]
		}
	}
	return dims
}
