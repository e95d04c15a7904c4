package qcqp

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/tensor"
)

// Norm is how a weight slice W[j,i,...] between output channel j and input
// channel i is scored.
type Norm string

const (
	// NormL1 sums |w| over the slice (the paper's choice).
	NormL1 Norm = "l1"
	// NormL2 is the Euclidean norm of the slice.
	NormL2 Norm = "l2"
)

// Layers returns the objective terms of the analysed model scored by the
// weights' norm: per layer, I[j,i] is the norm of the slice of weights
// between output channel j and input channel i, times |gamma_j| /
// sqrt(var_j + eps) when the layer's output feeds a BatchNormalization (so
// a channel the BN shrinks is worth less), divided by the Frobenius norm
// of the layer's whole I so that every layer is on one scale.
func (a *Analysis) Layers(norm Norm) ([]Layer, error) {
	if norm != NormL1 && norm != NormL2 {
		return nil, fmt.Errorf("qcqp: unknown importance %q (want l1, l2 or taylor)", norm)
	}
	return a.layersFrom(func(rec *layerRec) ([]float32, error) {
		t, err := tensor.FromONNX(a.Shapes.Graph.Initializer(rec.weight))
		if err != nil {
			return nil, err
		}
		return t.F32, nil
	}, norm)
}

// layersFrom scores every layer from per-weight values (the weights
// themselves, or weight x gradient for Taylor importance).
func (a *Analysis) layersFrom(values func(*layerRec) ([]float32, error), norm Norm) ([]Layer, error) {
	var out []Layer
	for k := range a.layers {
		rec := &a.layers[k]
		w, err := values(rec)
		if err != nil {
			return nil, fmt.Errorf("qcqp: layer %s: %w", rec.node.Name, err)
		}
		if len(w) != rec.nOut*rec.nIn {
			return nil, fmt.Errorf("qcqp: layer %s: %d weights, want %d x %d", rec.node.Name, len(w), rec.nOut, rec.nIn)
		}
		imp := a.slices(rec, w, norm)
		if s := a.outputScale(rec); s != nil {
			per := len(imp) / rec.nOut
			for j := range rec.nOut {
				for i := range per {
					imp[j*per+i] *= s[j]
				}
			}
		}
		normalize(imp)
		out = append(out, a.problemLayers(rec, imp)...)
	}
	return out, nil
}

// slices reduces a layer's weights to one score per (output channel,
// input channel) pair; a diagonal layer has one per channel.
func (a *Analysis) slices(rec *layerRec, w []float32, norm Norm) []float64 {
	at := func(j, col int) float64 {
		if rec.outMajor {
			return float64(w[j*rec.nIn+col])
		}
		return float64(w[col*rec.nOut+j])
	}
	nCh := rec.nIn / rec.block
	if rec.diagonal {
		nCh = 1
	}
	imp := make([]float64, rec.nOut*nCh)
	for j := range rec.nOut {
		for col := range rec.nIn {
			v := at(j, col)
			switch norm {
			case NormL1:
				imp[j*nCh+col/rec.block] += math.Abs(v)
			case NormL2:
				imp[j*nCh+col/rec.block] += v * v
			default:
				imp[j*nCh+col/rec.block] += v
			}
		}
	}
	switch norm {
	case NormL2:
		for i, v := range imp {
			imp[i] = math.Sqrt(v)
		}
	case NormTaylor:
		taylorSlices(imp)
	}
	return imp
}

// outputScale returns |gamma|/sqrt(var+eps) of the BatchNormalization that
// alone reads the layer's output, or nil.
func (a *Analysis) outputScale(rec *layerRec) []float64 {
	g := a.Shapes.Graph
	cons := g.Consumers(rec.node.Output[0])
	if len(cons) != 1 || cons[0].OpType != "BatchNormalization" || cons[0].Input[0] != rec.node.Output[0] || len(cons[0].Input) < 5 {
		return nil
	}
	bn := cons[0]
	gamma, v := a.constant(bn.Input[1]), a.constant(bn.Input[4])
	if gamma == nil || v == nil || gamma.Const.F32 == nil || v.Const.F32 == nil || len(gamma.Const.F32) != rec.nOut || len(v.Const.F32) != rec.nOut {
		return nil
	}
	eps := float64(bn.AttrFloat("epsilon", 1e-5))
	s := make([]float64, rec.nOut)
	for j := range s {
		s[j] = math.Abs(float64(gamma.Const.F32[j])) / math.Sqrt(float64(v.Const.F32[j])+eps)
	}
	return s
}

// normalize divides v by its Euclidean norm (leaves an all-zero v alone).
func normalize(v []float64) {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
		return
	}
	f := 1 / math.Sqrt(ss)
	for i := range v {
		v[i] *= f
	}
}

// problemLayers turns a scored layer into Problem layers: one dense
// layer, or one diagonal layer per map of a depthwise conv's input.
func (a *Analysis) problemLayers(rec *layerRec, imp []float64) []Layer {
	if !rec.diagonal {
		l := Layer{Name: rec.node.Name, Out: a.mapOf(rec.out.segs[0]), Importance: imp}
		if l.Name == "" {
			l.Name = rec.node.Output[0]
		}
		for _, s := range rec.in.segs {
			l.In = append(l.In, a.mapOf(s))
		}
		return []Layer{l}
	}
	var out []Layer
	off := 0
	for _, s := range rec.in.segs {
		m := a.mapOf(s)
		c := a.raw[s].channels
		name := rec.node.Name
		if name == "" {
			name = rec.node.Output[0]
		}
		if len(rec.in.segs) > 1 {
			name = fmt.Sprintf("%s[%d:%d]", name, off, off+c)
		}
		out = append(out, Layer{Name: name, In: []int{m}, Out: m, Diagonal: true, Importance: imp[off : off+c]})
		off += c
	}
	return out
}

// Problem assembles the analysed model's channel-selection instance: its
// maps (with the floors of MinKeep), the layers scored by layers (from
// Layers or TaylorLayers), and the constraints of the budgets.
func (a *Analysis) Problem(layers []Layer, budgets []Budget) (*Problem, error) {
	cons, err := a.Constraints(budgets)
	if err != nil {
		return nil, err
	}
	p := &Problem{Maps: slices.Clone(a.Maps), Layers: layers, Constraints: cons}
	if err := p.SetMinKeep(a.MinKeep); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}
