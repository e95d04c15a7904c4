package qil

import (
	"slices"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Read-only views of a run under way, for a person watching it train
// (the page's live view draws a layer's weights against its intervals).
// Call them between Steps, never during one.

// Intervals returns a quantized layer's intervals as training has left
// them (false for a layer the run does not quantize). For a layer with
// per-channel weight intervals, Channels holds each channel's (absolute)
// and WC, WD their means.
func (r *Run) Intervals(l *Layer) (Intervals, bool) {
	if !l.Quantized() || r.nodes[l][0] == nil {
		return Intervals{}, false
	}
	nm := namesFor(l)
	var iv Intervals
	var wc, wd []float32
	for _, f := range []struct {
		name string
		to   *float32
		all  *[]float32
	}{{nm.wc, &iv.WC, &wc}, {nm.wd, &iv.WD, &wd}, {nm.wg, &iv.Gamma, nil}, {nm.xc, &iv.XC, nil}, {nm.xd, &iv.XD, nil}} {
		p := r.net.Param(f.name)
		if p == nil || p.Value == nil || len(p.Value.F32) == 0 {
			return Intervals{}, false
		}
		*f.to = p.Value.F32[0]
		if f.all != nil {
			*f.all = p.Value.F32
		}
	}
	if unit := r.units[l]; unit != nil {
		if len(wc) != len(unit) || len(wd) != len(unit) {
			return Intervals{}, false
		}
		iv.Channels = make([]ChannelInterval, len(unit))
		for k, u := range unit {
			iv.Channels[k] = ChannelInterval{C: wc[k] * u, D: wd[k] * u}
		}
		iv.WC, iv.WD = meanInterval(iv.Channels)
	}
	return iv, true
}

// Weights returns a copy of a layer's float weight values as training has
// left them: for a quantized layer those its weight quantizer reads, for
// one kept in full precision the layer's own (they train too, unless the
// run is quantizer-only). A weight that a Reshape, Transpose or the like
// makes of an initializer (mnist-8's last layer) is given as that
// initializer's values, in its order: the same values, which is what a
// histogram shows. Nil when the weight is made any other way.
func (r *Run) Weights(l *Layer) []float32 {
	name := l.weight
	if l.Quantized() {
		q := r.nodes[l][0]
		if q == nil || len(q.Input) == 0 {
			return nil
		}
		name = q.Input[0]
	}
	for range 8 { // a chain of layout ops is short
		if p := r.net.Param(name); p != nil && p.Value != nil {
			return slices.Clone(p.Value.F32)
		}
		// Not a parameter of the net, so never trained: the initializer.
		for _, init := range r.model.Graph.Initializer {
			if init.Name == name {
				if t, err := tensor.FromONNX(init); err == nil && t.DType == tensor.Float32 {
					return t.F32
				}
				return nil
			}
		}
		if name = layoutSource(r.model, name); name == "" {
			return nil
		}
	}
	return nil
}

// layoutSource is the data input of the op that produces name when that
// op only rearranges its input's values ("" otherwise).
func layoutSource(m *onnx.Model, name string) string {
	for _, n := range m.Graph.Node {
		if len(n.Output) == 0 || n.Output[0] != name {
			continue
		}
		switch n.OpType {
		case "Reshape", "Transpose", "Flatten", "Identity", "Squeeze", "Unsqueeze":
			if onnx.IsDefaultDomain(n.Domain) && len(n.Input) > 0 {
				return n.Input[0]
			}
		}
		return ""
	}
	return ""
}
