package cost

import (
	"slices"

	"github.com/pare-ml/pare/core/onnx"
)

// finish numbers the groups and writes every figure as a polynomial.
func (a *channelAnalysis) finish(m *onnx.Model, rep *Report, macs []Poly) *Channels {
	a.fixInexpressible()

	// Number the groups by their first member.
	index := make([]int, len(a.parent))
	for i := range index {
		index[i] = -1
	}
	c := &Channels{values: map[string]valueModel{}, inputShapes: rep.InputShapes}
	for g := range a.parent {
		r := a.find(g)
		if index[r] < 0 {
			index[r] = len(c.Groups)
			c.Groups = append(c.Groups, ChannelGroup{Name: a.name[g], Channels: a.channels[r], Fixed: a.fixed[r], Reason: a.reason[r]})
		}
	}
	num := func(segs []int) []int {
		out := make([]int, len(segs))
		for i, g := range segs {
			out[i] = index[a.find(g)]
		}
		return out
	}
	remap := func(p Poly) Poly {
		out := make(Poly, len(p))
		for i, t := range p {
			out[i] = t
			if t.A >= 0 {
				out[i].A = index[a.find(t.A)]
			}
			if t.B >= 0 {
				out[i].B = index[a.find(t.B)]
			}
		}
		return out.normalize()
	}

	// Where each group lives in the initializers, in file order.
	for _, t := range m.Graph.Initializer {
		for _, axis := range a.sliceAxes[t.Name] {
			offset := 0
			for _, g := range num(a.slices[sliceKey{t.Name, axis}]) {
				ts := TensorSlice{Name: t.Name, Axis: axis, Offset: offset}
				if !slices.Contains(c.Groups[g].Tensors, ts) {
					c.Groups[g].Tensors = append(c.Groups[g].Tensors, ts)
				}
				offset += c.Groups[g].Channels
			}
		}
	}

	// Values: shapes and bytes.
	addValue := func(name string) {
		v := a.s.Of(name)
		if v == nil {
			return
		}
		vm := valueModel{dims: v.Dims}
		segs, ok := a.segs[name]
		if ok && a.activation(name) {
			vm.segs = num(segs)
			perChannel := v.Elements() / int64(v.Dims[1]) * elementBits(v.DType) / 8
			for _, g := range vm.segs {
				vm.bytes = append(vm.bytes, Term{Coef: perChannel, A: g, B: -1})
			}
			vm.bytes = vm.bytes.normalize()
		} else {
			vm.bytes = Poly{{Coef: valueBytes(v), A: -1, B: -1}}
		}
		c.values[name] = vm
	}
	for _, vi := range a.g.Inputs() {
		addValue(vi.Name)
	}

	// Nodes, in the order of the report, charged with the parameters the
	// report charges them with.
	params := newParamCounter(a.g)
	charged := make([][]string, len(rep.Layers))
	for i, l := range rep.Layers {
		charged[i] = params.of(l.Node, i)
	}
	for i, names := range params.unclaimed() {
		charged[i] = append(charged[i], names...)
	}
	for i, l := range rep.Layers {
		for _, out := range l.Outputs {
			addValue(out)
		}
		nm := nodeModel{layer: Layer{Node: l.Node, Index: l.Index, Name: l.Name, OpType: l.OpType, Outputs: l.Outputs}, macs: remap(macs[i])}
		for _, name := range charged[i] {
			nm.params = append(nm.params, a.elements(name)...)
		}
		nm.params = remap(nm.params)
		c.nodes = append(c.nodes, nm)
	}

	// Live memory at each step, by replaying the schedule.
	c.schedule = NewLiveness(a.g, a.s)
	running := Poly{}
	for _, name := range c.schedule.Initial {
		running = append(running, c.values[name].bytes...)
	}
	for step, born := range c.schedule.Born {
		for _, name := range born {
			running = append(running, c.values[name].bytes...)
		}
		running = running.normalize()
		c.Live = append(c.Live, running)
		for _, name := range c.schedule.Dies[step] {
			for _, t := range c.values[name].bytes {
				t.Coef = -t.Coef
				running = append(running, t)
			}
		}
	}

	// The layers, with the parameters of the batch norm reading them.
	step := map[*onnx.Node]int{}
	for i, l := range rep.Layers {
		step[l.Node] = i
	}
	for _, rl := range a.layers {
		i := step[rl.node]
		nm := c.nodes[i]
		cl := ChannelLayer{Index: nm.layer.Index, Name: nm.layer.Name, OpType: nm.layer.OpType, In: num(rl.in), Out: num(rl.out),
			Depthwise: rl.depthwise, MACs: nm.macs, Params: slices.Clone(nm.params), LiveBytes: c.Live[i]}
		out := rl.node.Output[0]
		cl.ActivationBytes = c.values[out].bytes
		for _, reader := range a.g.Consumers(out) {
			if reader.OpType == "BatchNormalization" && reader.Input[0] == out {
				cl.Params = append(cl.Params, c.nodes[step[reader]].params...)
			}
		}
		cl.Params = cl.Params.normalize()
		c.Layers = append(c.Layers, cl)
	}
	return c
}

// elements returns the element count of initializer name as a polynomial
// in its sliced axes' groups (raw ids).
func (a *channelAnalysis) elements(name string) Poly {
	t := a.s.Of(name)
	total := t.Elements()
	axes := a.sliceAxes[name]
	switch len(axes) {
	case 1:
		rest := total / int64(t.Dims[axes[0]])
		var p Poly
		for _, g := range a.slices[sliceKey{name, axes[0]}] {
			p = append(p, Term{Coef: rest, A: g, B: -1})
		}
		return p
	case 2:
		rest := total / int64(t.Dims[axes[0]]*t.Dims[axes[1]])
		var p Poly
		for _, g := range a.slices[sliceKey{name, axes[0]}] {
			for _, h := range a.slices[sliceKey{name, axes[1]}] {
				p = append(p, Term{Coef: rest, A: g, B: h})
			}
		}
		return p
	}
	return Poly{{Coef: total, A: -1, B: -1}}
}

// fixInexpressible pins the groups whose sizes the polynomials cannot
// follow exactly: values whose channels take a fraction of a byte (int4),
// initializers sliced along more than two axes, and axes whose length is
// not the sum of the groups on them.
func (a *channelAnalysis) fixInexpressible() {
	for name, segs := range a.segs {
		v := a.s.Of(name)
		if v == nil || !a.activation(name) {
			continue
		}
		if (v.Elements()/int64(v.Dims[1])*elementBits(v.DType))%8 != 0 {
			a.fix(segs, "value "+name+" stores a channel in a fraction of a byte")
		}
	}
	for name, axes := range a.sliceAxes {
		t := a.s.Of(name)
		why := "initializer " + name + " does not split by channels"
		if a.untouched[name] {
			why = "initializer " + name + " is also read whole by a node that does not follow channels"
		}
		fixAll := len(axes) > 2 || a.untouched[name]
		for _, axis := range axes {
			sum := 0
			for _, g := range a.slices[sliceKey{name, axis}] {
				sum += a.channels[a.find(g)]
			}
			fixAll = fixAll || axis >= len(t.Dims) || t.Dims[axis] != sum
		}
		if fixAll {
			for _, axis := range axes {
				a.fix(a.slices[sliceKey{name, axis}], why)
			}
			delete(a.sliceAxes, name)
		}
	}
}
