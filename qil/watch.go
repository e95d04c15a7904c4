package qil

import (
	"slices"

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

// Weights returns a copy of the float weights a quantized layer's weight
// quantizer reads, as training has left them (nil for a layer the run
// does not quantize).
func (r *Run) Weights(l *Layer) []float32 {
	q := r.nodes[l][0]
	if !l.Quantized() || q == nil || len(q.Input) == 0 {
		return nil
	}
	if p := r.net.Param(q.Input[0]); p != nil && p.Value != nil {
		return slices.Clone(p.Value.F32)
	}
	// Not a parameter of the net, so never trained: the initializer.
	for _, init := range r.model.Graph.Initializer {
		if init.Name == q.Input[0] {
			if t, err := tensor.FromONNX(init); err == nil && t.DType == tensor.Float32 {
				return t.F32
			}
		}
	}
	return nil
}
