package qcqp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/benchrun"
)

// MeasureOptions say how a latency model is measured on Pare's executor.
type MeasureOptions struct {
	// Grid is the number of widths per axis: each layer is timed at
	// (k/Grid of its input channels, l/Grid of its output channels) for
	// k, l = 1..Grid. Default 4 (16 timings per layer); at least 2.
	Grid int
	// Validate is the number of random pruned networks the fit is checked
	// on (default 20; negative: none).
	Validate int
	// Bench says how each timing warms up and runs (Warmup as given:
	// benchrun.Auto warms up until stable, as pare latency does); a zero
	// MinTime times at least 10 runs over 0.2 s.
	Bench benchrun.Options
	// Runtime names where the timings ran (stored in the model).
	Runtime string
	// Seed makes the validation networks reproducible.
	Seed uint64
	// Progress, when set, is told what is being timed.
	Progress func(string)
	// Time, when set, replaces timing on Pare's executor: it returns one
	// run's seconds for a model (a test's synthetic clock, or another
	// runtime).
	Time func(*onnx.Model) (float64, error)
}

// LatencyReport is a measured latency model with what it was fitted and
// validated on.
type LatencyReport struct {
	Model   *LatencyModel
	Samples map[string][]LatencySample
	// FullSeconds is the unpruned network's measured time.
	FullSeconds float64
	// Networks are the validation networks, with their predicted times.
	Networks  []MeasuredNetwork
	Predicted []float64
}

// MeasureLatency times every layer of the analysed model over a grid of
// channel counts, each layer alone in a one-node model built in memory
// with the layer's own kernel, strides, pads and input size; fits
// a + b*n_in + c*n_out + d*n_in*n_out per layer; times the whole network
// at grid uniform widths to fit its Scale and Overhead (see LatencyModel
// and calibrate); and measures
// the model's mean percentage error on random pruned networks (the
// channels kept at random, the network pruned with Prune and timed end
// to end).
func MeasureLatency(ctx context.Context, a *Analysis, opts MeasureOptions) (*LatencyReport, error) {
	if opts.Grid == 0 {
		opts.Grid = 4
	}
	if opts.Grid < 2 {
		return nil, fmt.Errorf("qcqp: a latency grid of %d widths per axis cannot fit four coefficients; use at least 2", opts.Grid)
	}
	if opts.Validate == 0 {
		opts.Validate = 20
	}
	if opts.Bench.MinTime == 0 {
		opts.Bench.MinTime = 200 * time.Millisecond
	}
	if opts.Bench.MaxWarmup == 0 {
		opts.Bench.MaxWarmup = 5 * time.Second
	}
	clock := opts.Time
	if clock == nil {
		clock = func(m *onnx.Model) (float64, error) { return timeModel(m, opts.Bench) }
	}
	say := func(format string, v ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, v...))
		}
	}
	layers, err := a.Layers(NormL1)
	if err != nil {
		return nil, err
	}
	p, err := a.Problem(layers, nil)
	if err != nil {
		return nil, err
	}
	rep := &LatencyReport{Model: &LatencyModel{Runtime: opts.Runtime}, Samples: map[string][]LatencySample{}}
	for _, rec := range a.layerRecs() {
		for _, pl := range rec.problem {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			l := &p.Layers[pl]
			cin, cout := p.InWidth(l), p.Maps[l.Out].Channels
			say("timing layer %s (%d x %d channels) at %d widths", l.Name, cin, cout, opts.Grid*opts.Grid)
			var samples []LatencySample
			ins, outs := gridWidths(cin, opts.Grid), gridWidths(cout, opts.Grid)
			if fixedInput(p, l) {
				ins = []int{cin}
			}
			if p.Maps[l.Out].Fixed {
				outs = []int{cout}
			}
			for _, in := range ins {
				for _, out := range outs {
					if l.Diagonal && in != out {
						continue
					}
					m, err := a.layerModel(rec.rec, in, out)
					if err != nil {
						return nil, fmt.Errorf("qcqp: layer %s: %w", l.Name, err)
					}
					s, err := clock(m)
					if err != nil {
						return nil, fmt.Errorf("qcqp: timing layer %s at %d x %d channels: %w", l.Name, in, out, err)
					}
					samples = append(samples, LatencySample{In: in, Out: out, Seconds: s})
				}
			}
			fit, err := fitSamples(l.Name, samples, l.Diagonal)
			if err != nil {
				return nil, err
			}
			rep.Samples[l.Name] = samples
			rep.Model.Layers = append(rep.Model.Layers, fit)
		}
	}
	if err := calibrate(rep, a, p, opts.Grid, clock, say); err != nil {
		return nil, err
	}
	if opts.Validate < 0 {
		return rep, nil
	}
	r := rand.New(rand.NewPCG(opts.Seed, 10))
	for k := range opts.Validate {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sel := randomKeep(a, r)
		pruned, err := a.Prune(sel, PruneOptions{})
		if err != nil {
			return nil, err
		}
		say("timing random pruned network %d of %d", k+1, opts.Validate)
		s, err := clock(pruned)
		if err != nil {
			return nil, fmt.Errorf("qcqp: timing random pruned network %d: %w", k+1, err)
		}
		n := sel.Counts()
		rep.Networks = append(rep.Networks, MeasuredNetwork{Counts: n, Seconds: s})
		pred, err := rep.Model.Seconds(p, n)
		if err != nil {
			return nil, err
		}
		rep.Predicted = append(rep.Predicted, pred)
	}
	if _, err := rep.Model.Validate(p, rep.Networks); err != nil {
		return nil, err
	}
	return rep, nil
}

// calibrate times the whole network with every free map at its k-th
// grid width (k = 1..grid; the last is the unpruned network) and fits
// measured = Overhead + Scale * (sum of the layers' fits) to those
// timings by least squares. They are not the validation networks.
func calibrate(rep *LatencyReport, a *Analysis, p *Problem, grid int, clock func(*onnx.Model) (float64, error), say func(string, ...any)) error {
	var xs, ys []float64
	for k := 1; k <= grid; k++ {
		sel := &Selection{Keep: make([][]bool, len(a.Maps))}
		for m, mp := range a.Maps {
			n := mp.Channels
			if !mp.Fixed {
				ws := gridWidths(mp.Channels, grid)
				n = ws[min(k, len(ws))-1]
			}
			sel.Keep[m] = make([]bool, mp.Channels)
			for i := range n {
				sel.Keep[m][i] = true
			}
		}
		net := a.Model
		if k < grid {
			var err error
			if net, err = a.Prune(sel, PruneOptions{NoFold: true}); err != nil {
				return err
			}
		}
		say("timing the whole network at %d/%d of its channels", k, grid)
		y, err := clock(net)
		if err != nil {
			return fmt.Errorf("qcqp: timing the network at %d/%d of its channels: %w", k, grid, err)
		}
		x, err := rep.Model.Seconds(p, sel.Counts())
		if err != nil {
			return err
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	rep.FullSeconds = ys[len(ys)-1]
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(xs)), my/float64(len(xs))
	var sxx, sxy float64
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
		sxy += (xs[i] - mx) * (ys[i] - my)
	}
	scale := 1.0
	if sxx > 0 && sxy > 0 {
		scale = sxy / sxx
	}
	rep.Model.Scale, rep.Model.Overhead = scale, my-scale*mx
	return nil
}

// fixedInput reports whether every map a layer reads is fixed.
func fixedInput(p *Problem, l *Layer) bool {
	for _, m := range l.In {
		if !p.Maps[m].Fixed {
			return false
		}
	}
	return true
}

// fitSamples fits a layer's timings along the axes that vary: a layer
// reading a fixed map (the network input) is timed at one input width
// and fitted as a + c*n_out, one writing a fixed map (the logits) as
// a + b*n_in; a depthwise layer by FitDiagonalLatency.
func fitSamples(name string, s []LatencySample, diagonal bool) (LayerLatency, error) {
	if diagonal {
		return FitDiagonalLatency(name, s)
	}
	ins, outs := map[int]bool{}, map[int]bool{}
	for _, x := range s {
		ins[x.In], outs[x.Out] = true, true
	}
	if len(ins) > 1 && len(outs) > 1 {
		return FitLayerLatency(name, s)
	}
	// Fit along one axis: t = a + slope*n, and store the slope where
	// Constraint reads it; the fixed axis's count is absorbed in a.
	var sx, sy, sxx, sxy float64
	for _, x := range s {
		n := float64(x.Out)
		if len(ins) > 1 {
			n = float64(x.In)
		}
		sx, sy, sxx, sxy = sx+n, sy+x.Seconds, sxx+n*n, sxy+n*x.Seconds
	}
	k := float64(len(s))
	var slope float64
	if d := k*sxx - sx*sx; d > 0 {
		slope = (k*sxy - sx*sy) / d
	}
	fit := LayerLatency{Layer: name, A: (sy - slope*sx) / k}
	if len(ins) > 1 {
		fit.B = slope
	} else {
		fit.C = slope
	}
	return fit, nil
}

// gridWidths are the widths the grid times: one less than k/grid of
// full (rounded up) for k = 1..grid-1, and full itself, without repeats.
// The one less keeps the grid off the multiples of 4 and 8 that round
// fractions of typical widths (16, 32, 64) land on and that the GEMM
// kernels' tiles favour: pruned counts are mostly not such multiples,
// and a grid of aligned widths alone under-predicts them.
func gridWidths(full, grid int) []int {
	var w []int
	for k := 1; k <= grid; k++ {
		v := full
		if k < grid {
			v = max(1, (full*k+grid-1)/grid-1)
		}
		if len(w) == 0 || w[len(w)-1] != v {
			w = append(w, v)
		}
	}
	return w
}

// recProblem ties an analysed layer to its Problem layers (a depthwise
// conv reading a Concat gives one per input map).
type recProblem struct {
	rec     *layerRec
	problem []int
}

func (a *Analysis) layerRecs() []recProblem {
	var out []recProblem
	k := 0
	for i := range a.layers {
		rec := &a.layers[i]
		n := 1
		if rec.diagonal {
			n = len(rec.in.segs)
		}
		rp := recProblem{rec: rec}
		for range n {
			rp.problem = append(rp.problem, k)
			k++
		}
		out = append(out, rp)
	}
	return out
}

// layerModel builds a one-node model of rec with in input and out output
// channels: the same op, attributes and spatial input size, random
// weights.
func (a *Analysis) layerModel(rec *layerRec, in, out int) (*onnx.Model, error) {
	n := rec.node
	r := rand.New(rand.NewPCG(uint64(in), uint64(out)))
	node := &onnx.Node{OpType: n.OpType, Domain: n.Domain, Name: n.Name, Input: []string{"x", "w"}, Output: []string{"y"}}
	for _, at := range n.Attribute {
		if n.OpType == "Conv" && at.Name == "group" {
			continue
		}
		node.Attribute = append(node.Attribute, at)
	}
	xd := slices.Clone(a.Shapes.Dims(n.Input[0]))
	if len(xd) < 2 {
		return nil, fmt.Errorf("input %s has shape %v", n.Input[0], xd)
	}
	xd[0] = 1
	var wd []int
	switch n.OpType {
	case "Conv":
		xd[1] = in
		wd = slices.Clone(a.Shapes.Dims(n.Input[1]))
		wd[0], wd[1] = out, in
		if rec.diagonal {
			wd[1] = 1
			node.Attribute = append(node.Attribute, &onnx.Attribute{Name: "group", Type: onnx.AttrInt, I: int64(in)})
		}
	case "Gemm", "MatMul":
		xd = []int{1, in * rec.block}
		wd = []int{in * rec.block, out}
		if n.OpType == "Gemm" && n.AttrInt("transB", 0) != 0 {
			wd = []int{out, in * rec.block}
		}
	default:
		return nil, fmt.Errorf("no latency model for %s layers", n.OpType)
	}
	g := &onnx.Graph{Name: "layer", Node: []*onnx.Node{node}}
	add := func(name string, dims []int) error {
		t := tensor.New(tensor.Float32, dims)
		for i := range t.F32 {
			t.F32[i] = float32(r.NormFloat64() * 0.1)
		}
		ot, err := tensor.ToONNX(t, name)
		if err != nil {
			return err
		}
		g.Initializer = append(g.Initializer, ot)
		return nil
	}
	if err := add("w", wd); err != nil {
		return nil, err
	}
	if len(n.Input) > 2 && n.Input[2] != "" {
		node.Input = append(node.Input, "b")
		if err := add("b", []int{out}); err != nil {
			return nil, err
		}
	}
	g.Input = []*onnx.ValueInfo{floatValue("x", xd)}
	g.Output = []*onnx.ValueInfo{{Name: "y"}}
	return &onnx.Model{IRVersion: a.Model.IRVersion, OpsetImport: a.Model.OpsetImport, Graph: g}, nil
}

func floatValue(name string, dims []int) *onnx.ValueInfo {
	sh := &onnx.TensorShape{}
	for _, d := range dims {
		sh.Dim = append(sh.Dim, &onnx.Dimension{Value: int64(d), HasValue: true})
	}
	return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: sh}}}
}

// timeModel is the time in seconds of one batch-1 run of m on inputs
// uniform in [0, 1), after benchrun's warm-up: the 10th percentile of
// the timed runs, since on a shared machine other work only ever adds
// time, and a low quantile is what repeats from run to run.
func timeModel(m *onnx.Model, o benchrun.Options) (float64, error) {
	sess, err := exec.NewSession(m)
	if err != nil {
		return 0, err
	}
	feeds, err := RandomFeeds(m)
	if err != nil {
		return 0, err
	}
	rep, err := benchrun.Measure(func() error { _, err := sess.Run(feeds); return err }, o)
	if err != nil {
		return 0, err
	}
	return benchrun.Quantile(rep.Times, 0.1) / 1e3, nil
}

// TimeModel is the time in seconds of one batch-1 run of m on Pare's
// executor, warmed up by benchrun (the 10th percentile of the timed
// runs).
func TimeModel(m *onnx.Model, o benchrun.Options) (float64, error) { return timeModel(m, o) }

// RandomFeeds makes float inputs uniform in [0, 1) for every graph input
// of m at batch 1.
func RandomFeeds(m *onnx.Model) (map[string]*tensor.Tensor, error) {
	shapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	feeds := map[string]*tensor.Tensor{}
	for name, d := range shapes {
		t, err := tensor.NewChecked(tensor.Float32, d)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		for i := range t.F32 {
			t.F32[i] = r.Float32()
		}
		feeds[name] = t
	}
	return feeds, nil
}

// randomKeep keeps, in every free map, a random number of channels
// between a quarter and all of them (the range pruning budgets reach),
// chosen at random.
func randomKeep(a *Analysis, r *rand.Rand) *Selection {
	s := &Selection{Keep: make([][]bool, len(a.Maps))}
	for m, mp := range a.Maps {
		s.Keep[m] = make([]bool, mp.Channels)
		k := mp.Channels
		if !mp.Fixed {
			lo := max(1, mp.Channels/4)
			k = lo + r.IntN(mp.Channels-lo+1)
		}
		for _, i := range r.Perm(mp.Channels)[:k] {
			s.Keep[m][i] = true
		}
	}
	return s
}
