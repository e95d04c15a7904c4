package qil

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
)

// Per-channel weight intervals (Config.Intervals): the op's gradients, the
// plan, and the export.

// channelInputs are QILWeight's inputs for a [4, 1, 3, 3] depthwise kernel
// whose channels span 100x in scale, with per-channel c, d (in units of
// unit, not all equal, so that some weights are pruned and some clipped in
// every channel) and gamma.
func channelInputs(r *rand.Rand, gamma float32) []*tensor.Tensor {
	scales := []float64{0.01, 0.1, 0.3, 1}
	w := make([]float32, 0, 36)
	for _, s := range scales {
		w = append(w, randomValues(r, 9, s)...)
	}
	unit := []float32{0.02, 0.2, 0.6, 2}
	return []*tensor.Tensor{
		tensor.FromF32([]int{4, 1, 3, 3}, w),
		tensor.FromF32([]int{4}, []float32{0.5, 0.45, 0.6, 0.4}),
		tensor.FromF32([]int{4}, []float32{0.4, 0.3, 0.35, 0.25}),
		one(gamma),
		tensor.FromF32([]int{4}, unit),
	}
}

// TestChannelIntervalGradients checks d/dc[k], d/dd[k] (with respect to
// the op's inputs, which are in units of unit[k]), d/dgamma (shared) and
// d/dw against central finite differences of the continuous transformer,
// for gamma below, at and above 1; and that the discrete backward returns
// gradients shaped like the inputs, each channel's from its own weights.
func TestChannelIntervalGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	node := bitsNode(OpWeight, 3, 0)
	node.Input = append(node.Input, "unit")
	for _, gamma := range []float32{0.7, 1, 1.6} {
		in := channelInputs(r, gamma)
		dy := randomValues(r, 36, 1)
		a, err := readWeightArgs(node, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.c) != 4 || a.inner != 9 {
			t.Fatalf("%d intervals of %d weights, want 4 of 9", len(a.c), a.inner)
		}
		dw, dc, dd, dg := weightGrads(a, dy, false, nil, nil)
		f := func() float64 {
			a, err := readWeightArgs(node, in)
			if err != nil {
				t.Fatal(err)
			}
			return continuousWeight(a, dy)
		}
		for k := range 4 {
			for _, c := range []struct {
				name string
				p    *float32
				got  float64
			}{{"c", &in[1].F32[k], dc[k]}, {"d", &in[2].F32[k], dd[k]}} {
				if c.got == 0 {
					t.Errorf("gamma %v: d/d%s[%d] is 0: no weight of the channel is inside its interval", gamma, c.name, k)
				}
				if num := central(c.p, 1e-4, f); !near(c.got, num) {
					t.Errorf("gamma %v: d/d%s[%d] = %v, finite differences %v", gamma, c.name, k, c.got, num)
				}
			}
		}
		if num := central(&in[3].F32[0], 1e-3, f); !near(dg, num) {
			t.Errorf("gamma %v: d/dgamma = %v, finite differences %v", gamma, dg, num)
		}
		for i := range dw {
			k := i / 9
			lo, hi := float64(a.c[k]-a.d[k]), float64(a.c[k]+a.d[k])
			m := math.Abs(float64(in[0].F32[i]))
			eps := 1e-3 * hi
			if math.Abs(m-lo) < 2*eps || math.Abs(m-hi) < 2*eps {
				continue // a kink of the transformer: no derivative
			}
			if num := central(&in[0].F32[i], eps, f); !near(float64(dw[i]), num) {
				t.Errorf("gamma %v: d/dw[%d] = %v, finite differences %v", gamma, i, dw[i], num)
			}
		}
		// The discrete backward: shapes, and channel k's gradient from
		// channel k's weights alone.
		dOut := tensor.FromF32([]int{4, 1, 3, 3}, dy)
		grads, err := weightBackward(&train.NodeGrad{Node: node, In: in, DOut: []*tensor.Tensor{dOut}})
		if err != nil {
			t.Fatal(err)
		}
		if len(grads[1].F32) != 4 || len(grads[2].F32) != 4 || len(grads[3].F32) != 1 {
			t.Fatalf("gradient sizes %d, %d, %d; want 4, 4 and 1", len(grads[1].F32), len(grads[2].F32), len(grads[3].F32))
		}
		before := grads[1].F32[1]
		for i := 18; i < 36; i++ {
			dOut.F32[i] *= 3 // channels 2 and 3 only
		}
		again, err := weightBackward(&train.NodeGrad{Node: node, In: in, DOut: []*tensor.Tensor{dOut}})
		if err != nil {
			t.Fatal(err)
		}
		if again[1].F32[1] != before || again[1].F32[2] == grads[1].F32[2] {
			t.Errorf("d/dc of channel 1 moved (%v -> %v) or channel 2's did not (%v -> %v) when only channels 2 and 3's output gradients changed",
				before, again[1].F32[1], grads[1].F32[2], again[1].F32[2])
		}
	}
}

// TestChannelIntervalsQuantizeEachChannelOnItsOwnGrid: the kernel puts
// channel k's weights on the grid of (c[k]+d[k])*unit[k]/q, so a channel
// 100x smaller than another still uses all of its levels, and a bad
// channel interval is refused.
func TestChannelIntervalsQuantizeEachChannelOnItsOwnGrid(t *testing.T) {
	node := bitsNode(OpWeight, 3, 0)
	node.Input = append(node.Input, "unit")
	w := []float32{}
	for _, s := range []float32{0.01, 1} {
		for i := range 13 {
			w = append(w, s*float32(i-6)/6.5) // no value at a half step
		}
	}
	c, d, unit := []float32{0.5, 0.5}, []float32{0.5, 0.5}, []float32{0.01, 1}
	in := []*tensor.Tensor{tensor.FromF32([]int{2, 13}, w), tensor.FromF32([]int{2}, c), tensor.FromF32([]int{2}, d), one(1), tensor.FromF32([]int{2}, unit)}
	y, err := runNode(t, node, in...)
	if err != nil {
		t.Fatal(err)
	}
	for k, u := range unit {
		if got := distinct(y.F32[k*13 : (k+1)*13]); got != 7 {
			t.Errorf("channel %d (unit %v): %d levels, want 7 (3 bits)", k, u, got)
		}
		step := u / 3
		for i := k * 13; i < (k+1)*13; i++ {
			want := float32(math.RoundToEven(float64(w[i]/step))) * step
			if math.Abs(float64(y.F32[i]-want)) > 1e-6*float64(u) {
				t.Errorf("channel %d: w=%v -> %v, want %v", k, w[i], y.F32[i], want)
			}
		}
	}
	for name, bad := range map[string][]*tensor.Tensor{
		"c < d":        {in[0], tensor.FromF32([]int{2}, []float32{0.5, 0.2}), in[2], in[3], in[4]},
		"unit 0":       {in[0], in[1], in[2], in[3], tensor.FromF32([]int{2}, []float32{0.01, 0})},
		"3 units":      {in[0], in[1], in[2], in[3], tensor.FromF32([]int{3}, []float32{1, 1, 1})},
		"one c":        {in[0], one(0.5), in[2], in[3], in[4]},
		"NaN half d":   {in[0], in[1], tensor.FromF32([]int{2}, []float32{0.5, float32(math.NaN())}), in[3], in[4]},
		"scalar w":     {tensor.FromF32([]int{}, []float32{1}), in[1], in[2], in[3], in[4]},
		"gamma 2 vals": {in[0], in[1], in[2], tensor.FromF32([]int{2}, []float32{1, 1}), in[4]},
	} {
		if _, err := runNode(t, node, bad...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// dwnetRun is a short direct 4/4 QIL run of fashion-dwnet with every layer
// quantized and the weight intervals of Config.Intervals (with
// "depthwise", the first and the last layer keep one interval),
// trained a few steps so that the per-channel intervals have left their
// calibrated values.
func dwnetRun(t *testing.T, intervals string) (*Run, *onnx.Model, *train.Loader) {
	t.Helper()
	data := fashionImages(t, 256)
	run, err := NewRun(context.Background(), withConvBiases(t, fashionDwnet(t)), data, Config{Options: Options{Bits: Bits{4, 4}, KeepFP: []string{}},
		Schedule: "direct", CalibrationImages: 128, IntervalLR: 1e-2, Intervals: intervals})
	if err != nil {
		t.Fatal(err)
	}
	for !run.Done() {
		if _, err := run.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	qm, err := run.Model()
	if err != nil {
		t.Fatal(err)
	}
	return run, qm, data
}

// withConvBiases gives m's Convs a bias input (fashion-dwnet's have none,
// a BatchNormalization follows each), so that the export's int32 biases
// with per-channel units are exercised on every layer that can have
// per-channel intervals (its Gemm has a bias already).
func withConvBiases(t *testing.T, m *onnx.Model) *onnx.Model {
	t.Helper()
	g, err := graphOf(m)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(13, 14))
	depthwiseAdded := 0
	for _, n := range m.Graph.Node {
		if n.OpType != "Conv" || len(n.Input) > 2 {
			continue
		}
		w, err := constantValue(m, g, n.Input[1])
		if err != nil || w == nil {
			continue
		}
		name := nodeName(n) + "_test_bias"
		m.Graph.Initializer = append(m.Graph.Initializer, floatTensor(name, []int{w.Shape[0]}, randomValues(r, w.Shape[0], 0.1)))
		n.Input = append(n.Input, name)
		if depthwise(n, w) {
			depthwiseAdded++
		}
	}
	if depthwiseAdded == 0 {
		t.Fatal("no depthwise Conv to give a bias")
	}
	return m
}

// TestDepthwiseLayersGetChannelIntervals: on fashion-dwnet, "depthwise"
// gives the depthwise Convs (and only they) one trained interval per
// output channel, a constant unit beside it and a shared gamma, and the
// pointwise, first and last layers keep one interval each (the default);
// "per-channel" gives every layer (its Convs and its Gemm, transB = 1)
// one per output channel, "per-layer" every layer one. Training moves channels'
// intervals by different amounts.
func TestDepthwiseLayersGetChannelIntervals(t *testing.T) {
	for _, intervals := range []string{"depthwise", "per-layer", "per-channel"} {
		run, qm, _ := dwnetRun(t, intervals)
		inits := initializers(t, qm)
		dw, other := 0, 0
		for _, l := range run.Layers() {
			nm := namesFor(l)
			q := quantizerNodes(qm, run.Layers())[l][0]
			w := inits[q.Input[0]]
			wantPer := map[string]bool{"depthwise": l.Depthwise, "per-channel": true}[intervals]
			if l.PerChannel != wantPer {
				t.Errorf("intervals %q: %s (depthwise %v) PerChannel %v", intervals, l.Node, l.Depthwise, l.PerChannel)
			}
			n := 1
			if wantPer {
				n = w.Shape[0]
			}
			for _, name := range []string{nm.wc, nm.wd} {
				if got := len(inits[name].F32); got != n {
					t.Errorf("intervals %q: %s: %s has %d entries, want %d", intervals, l.Node, name, got, n)
				}
			}
			if len(inits[nm.wg].F32) != 1 {
				t.Errorf("%s: gamma has %d entries, want one for the layer", l.Node, len(inits[nm.wg].F32))
			}
			iv, _ := run.Intervals(l)
			if !wantPer {
				other++
				if len(q.Input) != 4 || iv.Channels != nil {
					t.Errorf("intervals %q: %s: %d quantizer inputs and %d channel intervals, want 4 and none", intervals, l.Node, len(q.Input), len(iv.Channels))
				}
				continue
			}
			dw++
			if len(q.Input) != 5 || q.Input[4] != nm.wu || len(inits[nm.wu].F32) != n || len(iv.Channels) != n {
				t.Fatalf("%s: quantizer inputs %v, %d channel intervals; want the unit %s of %d entries", l.Node, q.Input, len(iv.Channels), nm.wu, n)
			}
			c, d, u := inits[nm.wc].F32, inits[nm.wd].F32, inits[nm.wu].F32
			lo, hi := math.Inf(1), math.Inf(-1)
			for k := range n {
				if iv.Channels[k].C != c[k]*u[k] || iv.Channels[k].D != d[k]*u[k] {
					t.Errorf("%s channel %d: Intervals %+v, the model has c %v, d %v in units of %v", l.Node, k, iv.Channels[k], c[k], d[k], u[k])
				}
				moved := math.Abs(float64(d[k]) - 0.5)
				lo, hi = min(lo, moved), max(hi, moved)
			}
			if !(hi > 0) || hi == lo {
				t.Errorf("%s: the channels' half-widths moved by %v..%v from their calibrated 1/2: not trained per channel", l.Node, lo, hi)
			}
		}
		switch {
		case intervals == "depthwise" && (dw == 0 || other == 0):
			t.Fatalf("%d depthwise and %d other quantized layers; the test needs both", dw, other)
		case intervals == "per-channel" && other != 0:
			t.Fatalf("%d layers with one interval; per-channel leaves none", other)
		}
	}
}

// TestChannelIntervalExport: fashion-dwnet's export with per-channel
// depthwise intervals (the default), and with per-channel intervals on
// every layer (pointwise 1x1 and 3x3 Convs, the Gemm), computes the QIL
// form's logits bit for bit (float biases), writes each per-channel
// layer's weights behind a per-axis DequantizeLinear (axis 0, one scale
// per channel, at most 2^N - 1 levels per channel, int4 where asked) and
// its bias as int32 with per-channel units s_x * s_w[k].
func TestChannelIntervalExport(t *testing.T) {
	for _, intervals := range []string{"depthwise", "per-channel"} {
		t.Run("intervals="+intervals, func(t *testing.T) { channelIntervalExport(t, intervals) })
	}
}

func channelIntervalExport(t *testing.T, intervals string) {
	run, qm, data := dwnetRun(t, intervals)
	kinds := map[string]bool{}
	xs := rows(t, data, 8)
	want := runAll(t, qm, xs)
	for _, storage := range []Storage{StorageInt8, StorageInt4} {
		ex, err := export(qm, &emitter{storage: storage, floatBias: true}, "test")
		if err != nil {
			t.Fatal(err)
		}
		got := runAll(t, ex, xs)
		for i := range want {
			for j := range want[i] {
				if math.Float32bits(want[i][j]) != math.Float32bits(got[i][j]) {
					t.Fatalf("%s: image %d logit %d: exported %v, QIL form %v", storage, i, j, got[i][j], want[i][j])
				}
			}
		}
		ib, err := Export(qm, storage, "test")
		if err != nil {
			t.Fatal(err)
		}
		inits, prod := initializers(t, ib), producers(ib)
		byName := map[string]*onnx.Node{}
		for _, n := range ib.Graph.Node {
			byName[nodeName(n)] = n
		}
		for _, l := range run.Layers() {
			if !l.PerChannel {
				continue
			}
			n := byName[l.Node]
			wdq := prod[n.Input[1]]
			levels, scale := inits[wdq.Input[0]], inits[wdq.Input[1]]
			channels := levels.Shape[0]
			kinds[layerKind(l, levels.Shape)] = true
			if wdq.AttrInt("axis", 1) != 0 || len(scale.Shape) != 1 || scale.Shape[0] != channels {
				t.Fatalf("%s %s: weight DequantizeLinear axis %d, scale shape %v; want axis 0 and %d scales", storage, l.Node, wdq.AttrInt("axis", 1), scale.Shape, channels)
			}
			if wantDT := map[Storage]tensor.DType{StorageInt8: tensor.Int8, StorageInt4: tensor.Int4}[storage]; levels.DType != wantDT {
				t.Errorf("%s %s: weights stored as %v", storage, l.Node, levels.DType)
			}
			iv, _ := run.Intervals(l)
			inner := len(levels.I8) / channels
			distinctScales := map[float32]bool{}
			for k := range channels {
				if s := weightScale(iv.Channels[k].C, iv.Channels[k].D, weightSteps(4)); scale.F32[k] != s {
					t.Errorf("%s %s channel %d: scale %v, want (c+d)/q = %v", storage, l.Node, k, scale.F32[k], s)
				}
				distinctScales[scale.F32[k]] = true
				if got := distinctI8(levels.I8[k*inner : (k+1)*inner]); got > 15 {
					t.Errorf("%s %s channel %d: %d levels at 4 bits", storage, l.Node, k, got)
				}
			}
			if len(distinctScales) < channels/2 {
				t.Errorf("%s %s: %d distinct scales over %d channels", storage, l.Node, len(distinctScales), channels)
			}
			if len(n.Input) < 3 || n.Input[2] == "" {
				t.Fatalf("%s %s: the bias is gone", storage, l.Node)
			}
			if l.Signed {
				// A signed input leaves the export as |x|'s levels times
				// sign(x), not a DequantizeLinear: the bias stays float
				// (bias.go), whatever the weights' intervals.
				continue
			}
			bdq := prod[n.Input[2]]
			if bdq == nil || bdq.OpType != "DequantizeLinear" {
				t.Fatalf("%s %s: the bias is not an int32 DequantizeLinear", storage, l.Node)
			}
			sx := inits[prod[n.Input[0]].Input[1]].F32[0]
			bs := inits[bdq.Input[1]]
			if inits[bdq.Input[0]].DType != tensor.Int32 || bdq.AttrInt("axis", 1) != 0 || len(bs.F32) != channels {
				t.Fatalf("%s %s: bias %v with %d scales", storage, l.Node, inits[bdq.Input[0]].DType, len(bs.F32))
			}
			for k := range channels {
				if bs.F32[k] != sx*scale.F32[k] {
					t.Errorf("%s %s channel %d: bias unit %v, want s_x*s_w = %v", storage, l.Node, k, bs.F32[k], sx*scale.F32[k])
				}
			}
		}
	}
	covered := []string{"depthwise"}
	if intervals == "per-channel" {
		covered = append(covered, "pointwise", "conv", "Gemm")
	}
	for _, k := range covered {
		if !kinds[k] {
			t.Errorf("no %s layer with per-channel intervals was checked (checked: %v)", k, kinds)
		}
	}
}

// layerKind names a layer's kind for the coverage checks: depthwise,
// pointwise (a 1x1 Conv), conv (any other) or its op type.
func layerKind(l *Layer, wShape []int) string {
	switch {
	case l.Depthwise:
		return "depthwise"
	case l.OpType != "Conv":
		return l.OpType
	}
	for _, d := range wShape[2:] {
		if d != 1 {
			return "conv"
		}
	}
	return "pointwise"
}

// TestIntervalChoicesPlan: "per-channel" gives every Conv and every Gemm
// with transB = 1 one weight interval per output channel (fashion-dwnet,
// fashion-resnet, mnist-8's Convs), and leaves one interval to a weight
// whose output channels are not on axis 0: mnist-8's MatMul and a Gemm
// with transB = 0; "per-layer" gives none per-channel intervals; an
// unknown choice is refused before any data is read.
func TestIntervalChoicesPlan(t *testing.T) {
	mnist, _ := smallMnist(t, 0)
	resnet := fashionResnet(t)
	dwnet := fashionDwnet(t)
	transposed := fashionDwnet(t)
	gemms := 0
	for _, n := range transposed.Graph.Node {
		if n.OpType == "Gemm" {
			transposeGemmWeight(t, transposed, n)
			gemms++
		}
	}
	if gemms == 0 {
		t.Fatal("fashion-dwnet has no Gemm")
	}
	for name, m := range map[string]*onnx.Model{"mnist-8": mnist, "fashion-resnet": resnet, "fashion-dwnet": dwnet, "fashion-dwnet transB=0": transposed} {
		for _, intervals := range []string{"per-channel", "per-layer"} {
			cfg := Config{Options: Options{Bits: Bits{4, 4}, KeepFP: []string{}}, Intervals: intervals}
			cfg.defaults()
			layers, _, err := cfg.plan(m)
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]int{}
			for _, l := range layers {
				want := intervals == "per-channel" && (l.OpType == "Conv" || l.OpType == "Gemm" && l.node.AttrInt("transB", 0) == 1)
				if l.PerChannel != want {
					t.Errorf("%s %s: %s %s (transB %d) PerChannel %v, want %v", name, intervals, l.OpType, l.Node, l.node.AttrInt("transB", 0), l.PerChannel, want)
				}
				ops[l.OpType]++
			}
			if intervals == "per-channel" {
				t.Logf("%s: layers %v", name, ops)
			}
		}
	}
	cfg := Config{Options: Options{Bits: Bits{4, 4}}, Intervals: "per-output"}
	if err := cfg.Check(dwnet); err == nil || !strings.Contains(err.Error(), "per-output") {
		t.Errorf("Intervals per-output: error %v", err)
	}
}

// transposeGemmWeight rewrites Gemm n of m from transB = 1 to transB = 0
// with the transposed weight: the same function, output channels last.
func transposeGemmWeight(t *testing.T, m *onnx.Model, n *onnx.Node) {
	t.Helper()
	if n.AttrInt("transB", 0) != 1 {
		t.Fatalf("%s: transB is already 0", n.Name)
	}
	for i, init := range m.Graph.Initializer {
		if init.Name != n.Input[1] {
			continue
		}
		w, err := tensor.FromONNX(init)
		if err != nil || len(w.Shape) != 2 {
			t.Fatalf("%s: weight %v (%v)", n.Name, w, err)
		}
		rows, cols := w.Shape[0], w.Shape[1]
		wt := make([]float32, len(w.F32))
		for r := range rows {
			for c := range cols {
				wt[c*rows+r] = w.F32[r*cols+c]
			}
		}
		m.Graph.Initializer[i] = floatTensor(init.Name, []int{cols, rows}, wt)
		n.Attr("transB").I = 0
		return
	}
	t.Fatalf("%s: the weight is not an initializer", n.Name)
}

// TestOnlyDepthwiseNetsChange: with "depthwise" intervals, mnist-8 and
// fashion-resnet, which have no depthwise Conv, are planned with one
// interval per layer (the same graph and numbers as "per-layer");
// fashion-dwnet's depthwise layers are the 3x3 group convolutions.
func TestOnlyDepthwiseNetsChange(t *testing.T) {
	mnist, _ := smallMnist(t, 0)
	path, err := testassets.RepoPath("core/train/testdata/fashion-resnet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	resnet, err := onnx.ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		m    *onnx.Model
		want int
	}{"mnist-8": {mnist, 0}, "fashion-resnet": {resnet, 0}, "fashion-dwnet": {fashionDwnet(t), 4}} {
		cfg := Config{Options: Options{Bits: Bits{4, 4}, KeepFP: []string{}}, Intervals: "depthwise"}
		cfg.defaults()
		layers, _, err := cfg.plan(c.m)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range layers {
			if l.PerChannel != l.Depthwise {
				t.Errorf("%s %s: depthwise %v, per-channel %v", name, l.Node, l.Depthwise, l.PerChannel)
			}
			if l.Depthwise {
				n++
			}
		}
		if n != c.want {
			t.Errorf("%s: %d depthwise layers, want %d", name, n, c.want)
		}
	}
}
