package qcqp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/mat"
)

// A latency model turns a measured-time budget into a constraint
// (METHODS.md 1, "Inference time"): each layer's time is fitted by least
// squares as a + b*n_in + c*n_out + d*n_in*n_out over times measured in
// the runtime the model will run in, and the network's time is the sum
// over layers, a quadratic polynomial in the channel counts like the
// other resources.

// LatencySample is one timing of a layer with n_in input and n_out output
// channels kept.
type LatencySample struct {
	In      int     `json:"in"`
	Out     int     `json:"out"`
	Seconds float64 `json:"seconds"`
}

// LayerLatency is one layer's fitted time in seconds:
// A + B*n_in + C*n_out + D*n_in*n_out.
type LayerLatency struct {
	Layer string  `json:"layer"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	C     float64 `json:"c"`
	D     float64 `json:"d"`
}

// Seconds is the fitted time at (in, out).
func (l *LayerLatency) Seconds(in, out int) float64 {
	x, y := float64(in), float64(out)
	return l.A + l.B*x + l.C*y + l.D*x*y
}

// LatencyModel is a network's latency model: one fit per layer (by the
// Problem's layer names) for one runtime; the network's time is
// Overhead + Scale * (sum of the layers' fits). Scale (absent or 0 means
// 1) is how much slower or faster the layers run inside the network than
// alone, with the element-wise ops that follow them; Overhead is the
// seconds of the rest (pooling, the runtime's per-run cost, minus the
// per-run cost the layers' own timings counted once each).
// MeanPercentError is the error measured on validation networks (see
// Validate), 0 when not validated. The JSON form (docs/pruning.md, "Latency budgets") is what
// the browser writes from onnxruntime-web timings.
type LatencyModel struct {
	Runtime          string         `json:"runtime"`
	Layers           []LayerLatency `json:"layers"`
	Overhead         float64        `json:"overhead,omitempty"`
	Scale            float64        `json:"scale,omitempty"`
	MeanPercentError float64        `json:"meanPercentError,omitempty"`
}

// FitLayerLatency fits a layer's time by least squares. It needs samples
// at four or more (n_in, n_out) points that are not all on one line in
// n_in or n_out, so that the four coefficients are determined.
func FitLayerLatency(layer string, samples []LatencySample) (LayerLatency, error) {
	ins, outs := map[int]bool{}, map[int]bool{}
	for _, s := range samples {
		if s.In < 1 || s.Out < 1 || math.IsNaN(s.Seconds) || math.IsInf(s.Seconds, 0) || s.Seconds < 0 {
			return LayerLatency{}, fmt.Errorf("qcqp: latency sample of %s at (%d, %d): %v s is not a timing", layer, s.In, s.Out, s.Seconds)
		}
		ins[s.In], outs[s.Out] = true, true
	}
	if len(ins) < 2 || len(outs) < 2 || len(samples) < 4 {
		return LayerLatency{}, fmt.Errorf("qcqp: latency of %s: %d samples over %d input and %d output widths; time at least two of each (four samples) to fit a + b*in + c*out + d*in*out", layer, len(samples), len(ins), len(outs))
	}
	a := mat.NewDense(len(samples), 4, nil)
	y := mat.NewVecDense(len(samples), nil)
	// Scale the columns to one order of magnitude so that the QR of the
	// least-squares solve stays well conditioned.
	var sIn, sOut float64
	for _, s := range samples {
		sIn, sOut = max(sIn, float64(s.In)), max(sOut, float64(s.Out))
	}
	for r, s := range samples {
		x, o := float64(s.In)/sIn, float64(s.Out)/sOut
		a.SetRow(r, []float64{1, x, o, x * o})
		y.SetVec(r, s.Seconds)
	}
	var coef mat.VecDense
	if err := coef.SolveVec(a, y); err != nil {
		return LayerLatency{}, fmt.Errorf("qcqp: latency of %s: least squares: %w", layer, err)
	}
	return LayerLatency{Layer: layer, A: coef.AtVec(0), B: coef.AtVec(1) / sIn, C: coef.AtVec(2) / sOut, D: coef.AtVec(3) / (sIn * sOut)}, nil
}

func (lm *LatencyModel) layer(name string) *LayerLatency {
	for k := range lm.Layers {
		if lm.Layers[k].Layer == name {
			return &lm.Layers[k]
		}
	}
	return nil
}

// Seconds predicts the network's time at the channel counts n (one per
// map of p).
func (lm *LatencyModel) Seconds(p *Problem, n []int) (float64, error) {
	c, err := lm.Constraint(p, 0)
	if err != nil {
		return 0, err
	}
	return c.Cost(n), nil
}

// Constraint is the latency budget as a Problem constraint: the sum over
// p's layers of their fitted times <= budget seconds. A layer reading a
// Concat reads the sum of its input maps' counts; a depthwise
// (Diagonal) layer's n_in and n_out are both its map's count. Every layer
// of p must have a fit.
func (lm *LatencyModel) Constraint(p *Problem, budget float64) (Constraint, error) {
	c := Constraint{Name: "latency", Budget: budget, Const: lm.Overhead}
	s := lm.Scale
	if s == 0 {
		s = 1
	}
	for k := range p.Layers {
		l := &p.Layers[k]
		f := lm.layer(l.Name)
		if f == nil {
			return Constraint{}, fmt.Errorf("qcqp: the latency model (%s) has no fit for layer %s; measure the model again on this network", lm.Runtime, l.Name)
		}
		c.Const += s * f.A
		c.Terms = append(c.Terms, Term{A: l.Out, B: -1, Coef: s * f.C})
		if l.Diagonal {
			c.Terms = append(c.Terms, Term{A: l.Out, B: -1, Coef: s * f.B}, Term{A: l.Out, B: l.Out, Coef: s * f.D})
			continue
		}
		for _, m := range l.In {
			c.Terms = append(c.Terms, Term{A: m, B: -1, Coef: s * f.B}, Term{A: m, B: l.Out, Coef: s * f.D})
		}
	}
	return c, nil
}

// MeasuredNetwork is one validation network: channel counts per map of
// the Problem and the whole network's measured time.
type MeasuredNetwork struct {
	Counts  []int   `json:"counts"`
	Seconds float64 `json:"seconds"`
}

// Validate measures the model's error on validation networks: the mean
// of |predicted - measured| / measured, in percent, also stored as
// MeanPercentError.
func (lm *LatencyModel) Validate(p *Problem, nets []MeasuredNetwork) (float64, error) {
	if len(nets) == 0 {
		return 0, errors.New("qcqp: no validation networks to measure the latency model's error on")
	}
	c, err := lm.Constraint(p, 0)
	if err != nil {
		return 0, err
	}
	var sum float64
	for k, n := range nets {
		if len(n.Counts) != len(p.Maps) || n.Seconds <= 0 {
			return 0, fmt.Errorf("qcqp: validation network %d has %d counts for %d maps and time %v s", k, len(n.Counts), len(p.Maps), n.Seconds)
		}
		sum += math.Abs(c.Cost(n.Counts)-n.Seconds) / n.Seconds
	}
	lm.MeanPercentError = 100 * sum / float64(len(nets))
	return lm.MeanPercentError, nil
}

// WriteJSON saves the model (the browser can supply one measured on
// onnxruntime-web in the same form).
func (lm *LatencyModel) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(lm)
}

// ReadLatencyModel loads a model saved by WriteJSON and checks it.
func ReadLatencyModel(r io.Reader) (*LatencyModel, error) {
	var lm LatencyModel
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lm); err != nil {
		return nil, fmt.Errorf("qcqp: latency model: %w", err)
	}
	if len(lm.Layers) == 0 {
		return nil, errors.New("qcqp: latency model has no layers")
	}
	if math.IsNaN(lm.Overhead) || math.IsInf(lm.Overhead, 0) || math.IsNaN(lm.Scale) || math.IsInf(lm.Scale, 0) || lm.Scale < 0 {
		return nil, fmt.Errorf("qcqp: latency model: overhead %v s and scale %v must be finite, the scale >= 0", lm.Overhead, lm.Scale)
	}
	seen := map[string]bool{}
	for _, l := range lm.Layers {
		if l.Layer == "" || seen[l.Layer] {
			return nil, fmt.Errorf("qcqp: latency model: layer name %q is empty or repeated", l.Layer)
		}
		seen[l.Layer] = true
		for _, v := range []float64{l.A, l.B, l.C, l.D} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("qcqp: latency model: layer %s has coefficient %v", l.Layer, v)
			}
		}
	}
	return &lm, nil
}

// FitDiagonalLatency fits a depthwise layer, whose one count n drives
// both axes (samples have In == Out): t = a + e*n + d*n^2 by least
// squares, stored as B = C = e/2 and D = d so that Seconds(n, n) and
// Constraint (which reads a diagonal layer at n_in = n_out) give the
// fitted time. It needs three or more distinct counts for the n^2 term
// (two give a + e*n).
func FitDiagonalLatency(layer string, samples []LatencySample) (LayerLatency, error) {
	ns := map[int]bool{}
	var top float64
	for _, s := range samples {
		if s.In != s.Out || s.In < 1 || math.IsNaN(s.Seconds) || math.IsInf(s.Seconds, 0) || s.Seconds < 0 {
			return LayerLatency{}, fmt.Errorf("qcqp: depthwise latency sample of %s at (%d, %d): %v s is not a timing at one count", layer, s.In, s.Out, s.Seconds)
		}
		ns[s.In] = true
		top = max(top, float64(s.In))
	}
	if len(ns) < 2 {
		return LayerLatency{}, fmt.Errorf("qcqp: latency of depthwise layer %s: %d distinct channel counts; time at least two (three for the n^2 term)", layer, len(ns))
	}
	// A map of two or three channels gives two counts: fit a + e*n.
	cols := min(3, len(ns))
	a := mat.NewDense(len(samples), cols, nil)
	y := mat.NewVecDense(len(samples), nil)
	for r, s := range samples {
		x := float64(s.In) / top
		a.SetRow(r, []float64{1, x, x * x}[:cols])
		y.SetVec(r, s.Seconds)
	}
	var coef mat.VecDense
	if err := coef.SolveVec(a, y); err != nil {
		return LayerLatency{}, fmt.Errorf("qcqp: latency of %s: least squares: %w", layer, err)
	}
	e := coef.AtVec(1) / top
	fit := LayerLatency{Layer: layer, A: coef.AtVec(0), B: e / 2, C: e / 2}
	if cols == 3 {
		fit.D = coef.AtVec(2) / (top * top)
	}
	return fit, nil
}
