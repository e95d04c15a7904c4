package qil

import (
	"context"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// maxSamples bounds the activation values kept per layer for calibration.
const maxSamples = 1 << 18

// layerStats is what one forward pass over calibration data shows of a
// layer's input.
type layerStats struct {
	min, max float64   // over every value seen
	samples  []float32 // an evenly strided subset
}

// labelFit is what the calibration pass shows of the data's labels: the
// width of the model's logits, and how many calibration images the float
// model classifies as labelled (labels it cannot name count as wrong).
// The caller decides what to make of it: PTQ reads no labels, QIL's task
// loss does.
type labelFit struct {
	classes, correct, images int
}

// accuracy is the float model's top-1 on the calibration images.
func (f labelFit) accuracy() float64 { return float64(f.correct) / float64(max(1, f.images)) }

// collectStats runs the float model over the calibration batches and
// records each quantized layer's input.
func collectStats(ctx context.Context, m *onnx.Model, layers []*Layer, data *train.Loader) (stats map[*Layer]*layerStats, fit labelFit, err error) {
	net, err := train.NewNet(m, train.NetOptions{})
	if err != nil {
		return nil, fit, fmt.Errorf("qil: calibration: %w", err)
	}
	return netStats(ctx, net, layers, data)
}

// netStats runs net (in evaluation mode: no statistics change) over the
// calibration batches and records each quantized layer's input.
func netStats(ctx context.Context, net *train.Net, layers []*Layer, data *train.Loader) (stats map[*Layer]*layerStats, fit labelFit, err error) {
	inputs := net.InputNames()
	if len(inputs) != 1 {
		return nil, fit, fmt.Errorf("qil: the model has %d inputs; quantization feeds exactly one", len(inputs))
	}
	stats = map[*Layer]*layerStats{}
	for _, l := range layers {
		if l.Quantized() {
			stats[l] = &layerStats{min: math.Inf(1), max: math.Inf(-1)}
		}
	}
	steps := data.Steps()
	for step := range steps {
		x, labels, err := data.Batch(0, step)
		if err != nil {
			return nil, fit, err
		}
		p, err := net.ForwardContext(ctx, map[string]*tensor.Tensor{inputs[0]: x}, train.ModeEval)
		if err != nil {
			return nil, fit, fmt.Errorf("qil: calibration: %w", err)
		}
		lg := p.Logits()
		fit.classes = lg.Shape[len(lg.Shape)-1]
		for i, l := range labels {
			if (i+1)*fit.classes <= len(lg.F32) && tensor.Argmax(lg.F32[i*fit.classes:(i+1)*fit.classes]) == l {
				fit.correct++
			}
		}
		fit.images += len(labels)
		for l, s := range stats {
			v := p.Value(l.input)
			if v == nil || v.DType != tensor.Float32 {
				return nil, fit, fmt.Errorf("qil: calibration: the input %q of %s is not a float32 value", l.input, l.Node)
			}
			mn, mx := s.min, s.max
			for _, f := range v.F32 {
				mn, mx = minOf(mn, float64(f)), maxOf(mx, float64(f))
			}
			s.min, s.max = mn, mx
			stride := max(1, len(v.F32)*steps/maxSamples)
			for i := 0; i < len(v.F32); i += stride {
				s.samples = append(s.samples, v.F32[i])
			}
		}
	}
	return stats, fit, nil
}

// Intervals are one layer's quantizer parameters.
type Intervals struct {
	WC, WD, Gamma float32 // weights
	XC, XD        float32 // activations
	// Channels, for a layer with per-channel weight intervals
	// (Layer.PerChannel), is each output channel's weight interval; WC
	// and WD are then their means, and Gamma is shared by all channels.
	Channels []ChannelInterval
}

// ChannelInterval is one output channel's weight interval.
type ChannelInterval struct{ C, D float32 }

// The initial intervals, from calibration. For both the weights and the
// layer's input, the upper end c+d is the clipping threshold that
// minimises the mean squared quantization error at the layer's bit width
// over 100 candidates (1 % to 100 % of the largest magnitude), and the
// pruning threshold c-d starts at 0 (nothing pruned, gamma 1). This is
// the closest the quantized layer can start to the full-precision one, so
// that training begins from the float model's accuracy instead of
// recovering from a poor start; pruning and the exponent are then learned
// from the task loss. At 8 bits (where the progressive schedule starts)
// the threshold is close to the maximum; at 2 bits far below it.
//
// With channels > 0, each output channel's weights (a contiguous block of
// w, axis 0) get their own threshold the same way.
func initialIntervals(w []float32, s *layerStats, bits Bits, signed bool, channels int) Intervals {
	tw := mseThreshold(w, true, weightSteps(bits.W))
	tx := mseThreshold(s.samples, signed, actSteps(bits.A, signed))
	iv := Intervals{WC: tw / 2, WD: tw / 2, Gamma: 1, XC: tx / 2, XD: tx / 2}
	if channels > 0 {
		iv.Channels = make([]ChannelInterval, channels)
		inner := len(w) / channels
		for k := range iv.Channels {
			t := mseThreshold(w[k*inner:(k+1)*inner], true, weightSteps(bits.W))
			iv.Channels[k] = ChannelInterval{C: t / 2, D: t / 2}
		}
		iv.WC, iv.WD = meanInterval(iv.Channels)
	}
	return iv
}

// meanInterval is the mean centre and half-width of per-channel
// intervals (what a single-interval view of the layer shows).
func meanInterval(ch []ChannelInterval) (c, d float32) {
	var sc, sd float64
	for _, x := range ch {
		sc += float64(x.C)
		sd += float64(x.D)
	}
	n := float64(max(1, len(ch)))
	return float32(sc / n), float32(sd / n)
}

// mseThreshold picks t for a grid of q steps over [0, t] applied to
// |v| (symmetric) or to v (one-sided, negative values go to 0): of the
// candidates peak*i/100, i = 1..100, the first with the least sum of
// squared errors over v in v's order.
//
// The sums are those of the plain double loop (mseThresholdMinMax in the
// tests), bit for bit, but cheaper: exact zeros, half of what a ReLU
// gives, add +0 to every sum and are left out, and one pass over the
// values serves four candidates, whose sums stay separate.
func mseThreshold(v []float32, symmetric bool, q int) float32 {
	peak := 0.0
	vals := make([]float64, 0, len(v))
	for _, x := range v {
		a := float64(x)
		if symmetric {
			a = math.Abs(a)
		}
		peak = maxOf(peak, a)
		if a != 0 {
			vals = append(vals, a)
		}
	}
	if peak == 0 || math.IsNaN(peak) || math.IsInf(peak, 0) {
		return 1 // a dead input: any interval quantizes it exactly
	}
	const candidates = 100 // a multiple of 4
	best, bestErr := peak, math.Inf(1)
	levels := float64(q)
	for i := 1; i <= candidates; i += 4 {
		t0, t1, t2, t3 := peak*float64(i)/candidates, peak*float64(i+1)/candidates, peak*float64(i+2)/candidates, peak*float64(i+3)/candidates
		s0, s1, s2, s3 := t0/levels, t1/levels, t2/levels, t3/levels
		var e0, e1, e2, e3 float64
		for _, a := range vals {
			r0 := math.RoundToEven(clampTo(a, t0)/s0) * s0
			r1 := math.RoundToEven(clampTo(a, t1)/s1) * s1
			r2 := math.RoundToEven(clampTo(a, t2)/s2) * s2
			r3 := math.RoundToEven(clampTo(a, t3)/s3) * s3
			e0 += (a - r0) * (a - r0)
			e1 += (a - r1) * (a - r1)
			e2 += (a - r2) * (a - r2)
			e3 += (a - r3) * (a - r3)
		}
		for _, c := range [4][2]float64{{t0, e0}, {t1, e1}, {t2, e2}, {t3, e3}} {
			if c[1] < bestErr {
				best, bestErr = c[0], c[1]
			}
		}
	}
	return float32(best)
}

// quantNames are the values a quantized layer adds.
// (wu is the constant unit of per-channel weight intervals).
type quantNames struct{ wq, xq, wc, wd, wg, wu, xc, xd string }

func namesFor(l *Layer) quantNames {
	p := l.Node + "_qil"
	return quantNames{wq: p + "_w", xq: p + "_x", wc: p + "_w_c", wd: p + "_w_d", wg: p + "_w_gamma", wu: p + "_w_unit", xc: p + "_x_c", xd: p + "_x_d"}
}

// insertQuantizers returns a copy of m with a QILWeight on the weight and
// a QILAct on the input of every quantized layer, their intervals set
// from iv.
func insertQuantizers(m *onnx.Model, layers []*Layer, iv map[*Layer]Intervals, weights map[*Layer]*tensor.Tensor) (*onnx.Model, error) {
	out, err := clone(m)
	if err != nil {
		return nil, err
	}
	byLabel := map[string]*onnx.Node{}
	for _, n := range out.Graph.Node {
		byLabel[nodeName(n)] = n
	}
	for _, l := range layers {
		if !l.Quantized() {
			continue
		}
		n := byLabel[l.Node]
		nm := namesFor(l)
		v := iv[l]
		w := weights[l]
		wName := l.weight
		if out.Graph.Initializer == nil || !hasInitializer(out.Graph, wName) {
			// The weight is computed from constants: store its value.
			wName = l.Node + "_qil_w_float"
			out.Graph.Initializer = append(out.Graph.Initializer, floatTensor(wName, w.Shape, w.F32))
		}
		wIn := []string{wName, nm.wc, nm.wd, nm.wg}
		if v.Channels != nil {
			// Each channel's c and d in units of its initial clipping
			// threshold c+d (so both start at 1/2): the unit is a
			// constant input, and Adam's step, relative to the
			// parameter's size, is then the same fraction of every
			// channel's interval, however the channels' ranges differ.
			n := len(v.Channels)
			c, d, u := make([]float32, n), make([]float32, n), make([]float32, n)
			for k, ch := range v.Channels {
				u[k] = ch.C + ch.D
				c[k], d[k] = ch.C/u[k], ch.D/u[k]
			}
			out.Graph.Initializer = append(out.Graph.Initializer,
				floatTensor(nm.wc, []int{n}, c), floatTensor(nm.wd, []int{n}, d), floatTensor(nm.wu, []int{n}, u))
			wIn = append(wIn, nm.wu)
		} else {
			out.Graph.Initializer = append(out.Graph.Initializer,
				floatTensor(nm.wc, []int{1}, []float32{v.WC}), floatTensor(nm.wd, []int{1}, []float32{v.WD}))
		}
		out.Graph.Initializer = append(out.Graph.Initializer, floatTensor(nm.wg, []int{1}, []float32{v.Gamma}),
			floatTensor(nm.xc, []int{1}, []float32{v.XC}), floatTensor(nm.xd, []int{1}, []float32{v.XD}))
		signed := int64(0)
		if l.Signed {
			signed = 1
		}
		out.Graph.Node = append(out.Graph.Node,
			&onnx.Node{Name: nm.wq, OpType: OpWeight, Domain: Domain, Input: wIn, Output: []string{nm.wq},
				Attribute: []*onnx.Attribute{intAttr("bits", int64(l.Bits.W))}},
			&onnx.Node{Name: nm.xq, OpType: OpAct, Domain: Domain, Input: []string{n.Input[0], nm.xc, nm.xd}, Output: []string{nm.xq},
				Attribute: []*onnx.Attribute{intAttr("bits", int64(l.Bits.A)), intAttr("signed", signed)}})
		n.Input[0], n.Input[1] = nm.xq, nm.wq
	}
	if err := edit.RequireOpset(out, Domain, 1); err != nil {
		return nil, err
	}
	if err := tidy(out); err != nil {
		return nil, err
	}
	return out, nil
}

func hasInitializer(g *onnx.Graph, name string) bool {
	for _, t := range g.Initializer {
		if t.Name == name {
			return true
		}
	}
	return false
}

// checkClasses refuses data whose labels the model's logits cannot name:
// QIL's task loss needs the model's own classes. The message names
// --quantizer-only, which learns from the float model's outputs instead.
func checkClasses(classes int, set *dataset.Set) error {
	if err := set.CheckClasses(classes); err != nil {
		return fmt.Errorf("qil: %w; QIL trains on the task loss, so the data must be labelled with the model's classes (or, with --quantizer-only, the intervals learn from the float model's outputs on any images)", err)
	}
	return nil
}
