package qil

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// Config is a QIL run.
type Config struct {
	Options
	// Schedule is "progressive" (default: 8 -> 5 -> 4 -> 3 -> 2 bits down
	// to the target, each stage starting from the last, as the paper) or
	// "direct" (the target bits from the start).
	Schedule string
	// Epochs per stage (default 1).
	Epochs int
	// LR is Adam's learning rate of the weights (default 1e-5: the model
	// is trained already, and Adam's step does not depend on the scale of
	// the gradients, which for raw-pixel models such as mnist-8 are large).
	LR float64
	// IntervalLR is the interval parameters' rate relative to their own
	// magnitude: Adam moves each by about IntervalLR x its initial value
	// per step (default 1e-3). Intervals live on the scale of the layer's
	// weights or activations, which differ by orders of magnitude between
	// layers, so one absolute rate cannot suit them all.
	IntervalLR float64
	// Intervals chooses which layers' weights get one interval (c_W, d_W;
	// gamma stays the layer's) per output channel instead of one for the
	// layer (docs/quantization.md):
	//   - "per-channel" (DefaultIntervals, also ""): every Conv, and
	//     every Gemm whose weight has its output channels on axis 0
	//     (transB = 1), as min-max PTQ scales them. A Gemm with
	//     transB = 0 and a MatMul keep one interval: the exported
	//     per-axis DequantizeLinear and the channel units index axis 0,
	//     which is their input axis. It measures best
	//     (docs/quantization.md).
	//   - "depthwise": depthwise convolutions only. A depthwise channel
	//     is a k x k filter of its own, and their ranges differ by more
	//     than one low-bit grid can serve.
	//   - "per-layer": one interval for every layer (the paper's method).
	Intervals string
	// ActInit chooses where the activation intervals start (each layer's
	// input; the weights' intervals are calibrated at the first stage):
	//   - "stage" (DefaultActInit, also ""): calibrated at the first
	//     stage's width, then re-calibrated at the start of every stage
	//     that lowers them, on the net as trained so far (reinitActs),
	//     and learned within each stage. It measures best
	//     (docs/quantization.md).
	//   - "first": calibrated at the first stage's width (8 bits on the
	//     progressive schedule), then only learned.
	//   - "target": calibrated at the target width from the start, so
	//     the higher-bit stages train under the target's clipping.
	ActInit string
	// QuantizerOnly freezes the weights and learns the intervals alone
	// (the paper's answer when the training data is not at hand).
	QuantizerOnly bool
	// TeacherTargets, with QuantizerOnly, makes the float model's outputs
	// the only targets (train.DistillOptions.IgnoreLabels): the paper's
	// heterogeneous setting, intervals learned on images of another task.
	// NewRun sets it, with a note, when QuantizerOnly data's labels do not
	// fit the model's classes.
	TeacherTargets bool
	// CalibrationImages is how many training images initialise the
	// intervals (default 512).
	CalibrationImages int
	Seed              int64
	// Distill, when set, adds knowledge distillation from the float
	// model's logits to the loss (train.Distill): the quantized net learns
	// how the original ranks every class, not only the labels.
	Distill *train.DistillOptions
	// KeepZeroTaps keeps the all-zero kernel taps of the conv weights at
	// zero while the weights train (train.KeepZeroTaps): set it for a
	// model pruned with kernel-shape granularity (qcqp.ShapePruned).
	KeepZeroTaps bool
	// Parallel, when set, makes the run one worker of a data-parallel
	// run: every worker is given the same model, loader and Config, and
	// calibrates the same intervals on the same (whole) calibration
	// images; each stage's training steps then share every batch between
	// the workers and sum their gradients (train.Parallel), and the
	// BatchNormalization re-estimation that ends a stage sums their
	// batch statistics. Every worker ends with the same weights and
	// intervals. They are a one-worker run's up to the summation order of
	// the gradients, and QIL's training carries any such rounding
	// difference across quantizer levels: on the demo net the exported
	// scales end up about 5e-3 (of the largest) apart, as far as a
	// one-worker run whose weights were nudged by one ulp (compress's
	// TestQuantizeStageDataParallel).
	Parallel *train.Parallel
}

func (c *Config) defaults() {
	if c.Schedule == "" {
		c.Schedule = "progressive"
	}
	if c.Epochs == 0 {
		c.Epochs = 1
	}
	if c.LR == 0 {
		c.LR = 1e-5
	}
	if c.IntervalLR == 0 {
		c.IntervalLR = 1e-3
	}
	if c.CalibrationImages == 0 {
		c.CalibrationImages = 512
	}
}

// progressiveLevels are the paper's stages below full precision.
var progressiveLevels = []int{8, 5, 4, 3, 2}

// stages returns the bits of each layer per stage.
func stages(layers []*Layer, schedule string) ([][]Bits, error) {
	lowest := MaxBits
	for _, l := range layers {
		if l.Quantized() {
			lowest = min(lowest, l.Bits.W, l.Bits.A)
		}
	}
	var levels []int
	switch schedule {
	case "progressive":
		for _, b := range progressiveLevels {
			if b >= lowest {
				levels = append(levels, b)
			}
		}
	case "direct":
		levels = []int{lowest}
	default:
		return nil, fmt.Errorf("qil: unknown schedule %q (progressive or direct)", schedule)
	}
	out := make([][]Bits, len(levels))
	for s, b := range levels {
		out[s] = make([]Bits, len(layers))
		for i, l := range layers {
			if l.Quantized() {
				out[s][i] = Bits{W: max(l.Bits.W, b), A: max(l.Bits.A, b)}
			}
		}
	}
	return out, nil
}

// Run trains QIL quantizers (and, unless QuantizerOnly, the weights) on
// the task loss. It is a job.Stepper: each Step trains one mini-batch.
type Run struct {
	cfg    Config
	layers []*Layer
	plan   [][]Bits
	stage  int
	model  *onnx.Model // the QIL form, trained in place through net
	net    *train.Net
	data   *train.Loader
	tr     *train.Trainer
	nodes  map[*Layer][2]*onnx.Node // QILWeight, QILAct
	// units are the constant channel units of per-channel weight
	// intervals (Intervals reports absolute values).
	units map[*Layer][]float32
	start time.Time
	last  job.Progress
	// calib gives the calibration images (Config.CalibrationImages).
	calib *train.Loader
	loss  train.LossFunc // nil: cross-entropy on the labels
	// recal, while set, re-estimates the BatchNormalization statistics
	// at the end of a stage, before the stage is reported done.
	recal *train.BNRecalibration
	// trained is the latest training step's, whose loss and accuracy the
	// recalibration steps report too.
	trained train.StepStats
	notes   []string
	// pending is set between the last step of a stage and the first of
	// the next: the net still computes the finished stage's bits, so a
	// caller can validate it.
	pending bool
}

// Check reports what NewRun would refuse in cfg for m before any data is
// read: learning rates, epochs, the schedule, bits and layer names. A
// pipeline calls it first, so that a bad request fails before hours of
// pruning and fine-tuning rather than at the quantize stage.
func (cfg Config) Check(m *onnx.Model) error {
	cfg.defaults()
	_, _, err := cfg.plan(m)
	return err
}

// plan checks cfg (with its defaults) and plans m's layers and stages.
func (cfg Config) plan(m *onnx.Model) ([]*Layer, [][]Bits, error) {
	if cfg.LR <= 0 || cfg.IntervalLR <= 0 || math.IsNaN(cfg.LR+cfg.IntervalLR) {
		return nil, nil, fmt.Errorf("qil: the learning rates must be positive")
	}
	if cfg.Epochs < 0 {
		return nil, nil, fmt.Errorf("qil: epochs must be positive")
	}
	if cfg.TeacherTargets && !cfg.QuantizerOnly {
		return nil, nil, fmt.Errorf("qil: learning from the float model's outputs alone is for quantizer-only training (--quantizer-only): joint training would fit the weights to the float model's answers on images of another task")
	}
	if err := checkActInit(cfg.ActInit); err != nil {
		return nil, nil, err
	}
	layers, err := planLayers(m, cfg.Options)
	if err != nil {
		return nil, nil, err
	}
	perChannel, err := channelChoice(cfg.Intervals)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range layers {
		l.PerChannel = l.Quantized() && perChannel(l)
	}
	plan, err := stages(layers, cfg.Schedule)
	if err != nil {
		return nil, nil, err
	}
	return layers, plan, nil
}

// NewRun plans the layers, calibrates the intervals on the first training
// images and prepares the first stage.
func NewRun(ctx context.Context, m *onnx.Model, data *train.Loader, cfg Config) (*Run, error) {
	cfg.defaults()
	if data == nil || data.Set == nil || data.Len() == 0 {
		return nil, fmt.Errorf("qil: no training data: QIL learns its intervals from data (--data)")
	}
	layers, plan, err := cfg.plan(m)
	if err != nil {
		return nil, err
	}
	r := &Run{cfg: cfg, layers: layers, plan: plan, data: data, start: time.Now()}
	for i, l := range layers {
		l.Bits = plan[0][i] // calibrate at the first stage's bits
		if actInit(cfg.ActInit) == "target" && l.Quantized() {
			l.Bits.A = plan[len(plan)-1][i].A // startStage restores the stage's
		}
	}
	r.calib = calibrationLoader(data, cfg.CalibrationImages, cfg.Seed)
	var fit labelFit
	r.model, fit, err = calibrated(ctx, m, layers, r.calib)
	if err != nil {
		return nil, err
	}
	if err := r.chooseTargets(fit, data.Set); err != nil {
		return nil, err
	}
	if r.cfg.Distill != nil || r.cfg.TeacherTargets {
		opt := train.DistillOptions{}
		if r.cfg.Distill != nil {
			opt = *r.cfg.Distill
		}
		if r.cfg.TeacherTargets {
			opt.IgnoreLabels, opt.Alpha = true, 1 // the labels mean nothing to the model
		}
		teacher, err := train.NewNet(m, train.NetOptions{})
		if err != nil {
			return nil, fmt.Errorf("qil: the float teacher: %w", err)
		}
		if r.loss, err = train.Distill(teacher.EvalForward(), opt); err != nil {
			return nil, fmt.Errorf("qil: %w", err)
		}
	}
	r.nodes = quantizerNodes(r.model, layers)
	if r.units, err = channelUnits(r.model, layers); err != nil {
		return nil, err
	}
	r.net, err = train.NewNet(r.model, train.NetOptions{Seed: cfg.Seed, FreezeBatchNorm: cfg.QuantizerOnly})
	if err != nil {
		return nil, fmt.Errorf("qil: %w", err)
	}
	interval := map[string]bool{}
	for _, l := range layers {
		if l.Quantized() {
			nm := namesFor(l)
			for _, n := range []string{nm.wc, nm.wd, nm.wg, nm.xc, nm.xd} {
				interval[n] = true
			}
		}
	}
	for _, p := range r.net.Params {
		p.Frozen = cfg.QuantizerOnly && !interval[p.Name]
	}
	if par := cfg.Parallel; par != nil {
		shard := *data // the caller's loader keeps giving whole batches
		if err := par.Bind(r.net, &shard); err != nil {
			return nil, fmt.Errorf("qil: %w", err)
		}
		r.data = &shard
	}
	if err := r.startStage(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// calibrated is m with quantizers inserted at intervals calibrated on the
// first n images of data (in its shuffled order).
func calibrated(ctx context.Context, m *onnx.Model, layers []*Layer, calib *train.Loader) (*onnx.Model, labelFit, error) {
	stats, fit, err := collectStats(ctx, m, layers, calib)
	if err != nil {
		return nil, fit, err
	}
	return quantizedAt(m, layers, stats, fit)
}

// calibrationLoader gives the first n images of data (in its shuffled
// order), evenly strided.
func calibrationLoader(data *train.Loader, n int, seed int64) *train.Loader {
	calib := &train.Loader{Set: data.Set, Indices: data.Indices, Preprocess: data.Preprocess, BatchSize: min(64, max(1, n)), Shuffle: true, Seed: seed}
	idx := calib.Indices
	if idx == nil {
		idx = make([]int, data.Set.N())
		for i := range idx {
			idx[i] = i
		}
	}
	if n < len(idx) {
		// An evenly strided subset spans every class of a sorted set.
		sub := make([]int, n)
		for i := range sub {
			sub[i] = idx[i*len(idx)/n]
		}
		calib.Indices = sub
	}
	return calib
}

// quantizedAt is m with quantizers inserted at the intervals the
// calibration statistics give at each layer's current bits.
func quantizedAt(m *onnx.Model, layers []*Layer, stats map[*Layer]*layerStats, fit labelFit) (*onnx.Model, labelFit, error) {
	iv := map[*Layer]Intervals{}
	weights := map[*Layer]*tensor.Tensor{}
	g, err := graphOf(m)
	if err != nil {
		return nil, labelFit{}, err
	}
	for _, l := range layers {
		if !l.Quantized() {
			continue
		}
		w, err := constantValue(m, g, l.weight)
		if err != nil || w == nil || w.DType != tensor.Float32 {
			return nil, labelFit{}, fmt.Errorf("qil: the weight of %s is not a float32 constant", l.Node)
		}
		s := stats[l]
		if l.Signed && g.Producer(l.input) == nil && s.min >= 0 {
			l.Signed = false // a graph input that is never negative (pixels)
		}
		weights[l] = w
		channels := 0
		if l.PerChannel {
			channels = w.Shape[0]
		}
		iv[l] = initialIntervals(w.F32, s, l.Bits, l.Signed, channels)
	}
	qm, err := insertQuantizers(m, layers, iv, weights)
	return qm, fit, err
}

func quantizerNodes(m *onnx.Model, layers []*Layer) map[*Layer][2]*onnx.Node {
	byName := map[string]*onnx.Node{}
	for _, n := range m.Graph.Node {
		if n.Domain == Domain {
			byName[n.Name] = n
		}
	}
	out := map[*Layer][2]*onnx.Node{}
	for _, l := range layers {
		if l.Quantized() {
			nm := namesFor(l)
			out[l] = [2]*onnx.Node{byName[nm.wq], byName[nm.xq]}
		}
	}
	return out
}

// channelUnits reads the unit input of every per-channel weight
// quantizer in m.
func channelUnits(m *onnx.Model, layers []*Layer) (map[*Layer][]float32, error) {
	out := map[*Layer][]float32{}
	for _, l := range layers {
		if !l.PerChannel {
			continue
		}
		name := namesFor(l).wu
		for _, t := range m.Graph.Initializer {
			if t.Name == name {
				v, err := tensor.FromONNX(t)
				if err != nil || v.DType != tensor.Float32 {
					return nil, fmt.Errorf("qil: %s is not a float32 tensor", name)
				}
				out[l] = v.F32
			}
		}
	}
	return out, nil
}

// startStage sets the quantizers' bits for the current stage and makes
// its trainer (a fresh Adam state: the loss surface changed with them).
//
// Each stage's learning rate follows a cosine from LR down to zero. With
// a constant rate the weights never settle at the low widths: on
// fashion-dwnet (w4a4, progressive, 1 epoch per stage) the 4-bit stage's
// training accuracy fell from 87.0 % to 82.2 % and validation swung
// between 61.6 % and 88.6 %, ending at 64.8 %; with the cosine and the
// BatchNormalization re-estimation of endStage it ended at 88.8 %
// (tools/qildiag).
func (r *Run) startStage(ctx context.Context) error {
	for i, l := range r.layers {
		if !l.Quantized() {
			continue
		}
		b := r.plan[r.stage][i]
		l.Bits = b
		nodes := r.nodes[l]
		nodes[0].Attr("bits").I = int64(b.W)
		nodes[1].Attr("bits").I = int64(b.A)
	}
	if actInit(r.cfg.ActInit) == "stage" && r.stage > 0 {
		if err := r.reinitActs(ctx, r.plan[r.stage-1]); err != nil {
			return fmt.Errorf("qil: re-calibrating the activation intervals: %w", err)
		}
	}
	// A parameter's size is its mean magnitude: per-channel intervals are
	// in units of each channel's initial threshold, so their entries are
	// all about the same size.
	initial := map[string]float64{}
	for _, p := range r.net.Params {
		if strings.Contains(p.Name, "_qil_") {
			sum := 0.0
			for _, v := range p.Value.F32 {
				sum += math.Abs(float64(v))
			}
			initial[p.Name] = sum / float64(max(1, len(p.Value.F32)))
		}
	}
	cfg := train.Config{Epochs: max(1, r.cfg.Epochs), Optimizer: "adam", LR: r.cfg.LR, Schedule: "cosine", Loss: r.loss, Parallel: r.cfg.Parallel,
		Group: func(p *train.Param) train.GroupSpec {
			if v, ok := initial[p.Name]; ok {
				return train.GroupSpec{Name: p.Name, LRScale: r.cfg.IntervalLR * max(v, 1e-6) / r.cfg.LR}
			}
			return train.GroupSpec{Name: "weights", LRScale: 1}
		}}
	if r.cfg.KeepZeroTaps {
		cfg.OnGradients, _ = train.KeepZeroTaps(r.net)
	}
	tr, err := train.NewTrainer(r.net, r.data, cfg)
	if err != nil {
		return fmt.Errorf("qil: %w", err)
	}
	r.tr = tr
	return nil
}

// project restores QIL's guards after an optimizer step: d > 0,
// c - d >= 0 and gamma > 0.
func (r *Run) project() {
	for _, l := range r.layers {
		if !l.Quantized() {
			continue
		}
		nm := namesFor(l)
		for _, pair := range [][2]string{{nm.wc, nm.wd}, {nm.xc, nm.xd}} {
			c, d := r.net.Param(pair[0]), r.net.Param(pair[1])
			if c == nil || d == nil {
				continue
			}
			for k := range d.Value.F32 { // one entry per channel, or one
				dv := max(d.Value.F32[k], 1e-6*max(c.Value.F32[k], 1e-3))
				d.Value.F32[k] = dv
				c.Value.F32[k] = max(c.Value.F32[k], dv)
			}
		}
		if g := r.net.Param(nm.wg); g != nil {
			g.Value.F32[0] = min(max(g.Value.F32[0], 0.25), 4)
		}
	}
}

// Done reports whether every stage has run.
func (r *Run) Done() bool { return r.stage >= len(r.plan) }

// Stage names the stage the next Step trains ("w4a4, stage 3 of 3").
func (r *Run) Stage() string {
	s := min(r.stage, len(r.plan)-1)
	return fmt.Sprintf("%s, stage %d of %d", stageBits(r.plan[s]), s+1, len(r.plan))
}

// stageBits names a stage by its lowest widths over the quantized layers:
// the level the schedule reached (a layer given more bits by --layer-bits
// keeps them and does not name the stage).
func stageBits(b []Bits) Bits {
	var low Bits
	for _, x := range b {
		if x.W == 0 {
			continue
		}
		if low.W == 0 {
			low = x
			continue
		}
		low = Bits{W: min(low.W, x.W), A: min(low.A, x.A)}
	}
	return low
}

// Step trains one mini-batch of the current stage, or, once the stage's
// training is over, averages one batch into the re-estimated
// BatchNormalization statistics (endStage). The Progress of a stage's
// last step has the figure "stage_done" = 1; until the next Step the net
// still computes that stage's bits.
func (r *Run) Step(ctx context.Context) (job.Progress, error) {
	if r.Done() {
		return r.last, fmt.Errorf("qil: the run is finished")
	}
	if r.pending {
		if err := r.startStage(ctx); err != nil {
			return r.last, err
		}
		r.pending = false
	}
	stage := r.Stage()
	if r.recal != nil {
		return r.recalibrateStep(ctx, stage)
	}
	_, err := r.tr.Step(ctx)
	if errors.Is(err, train.ErrNotFinite) {
		return job.Progress{}, fmt.Errorf("qil: training diverged at %s (the loss is not finite); lower the learning rate (--lr)", stage)
	}
	if err != nil {
		return job.Progress{}, err
	}
	p := r.tr.Last()
	if math.IsNaN(p.Loss) || math.IsInf(p.Loss, 0) {
		return job.Progress{}, fmt.Errorf("qil: training diverged at %s (loss %v); lower the learning rate (--lr)", stage, p.Loss)
	}
	r.project()
	r.trained = p
	r.last = r.progress(stage, p.GlobalStep)
	if p.Done {
		return r.endStage(stage)
	}
	return r.last, nil
}

// recalSteps is how many recalibration batches end each stage (0 when
// the net has no BatchNormalization statistics to re-estimate, as with
// QuantizerOnly, which freezes them).
func (r *Run) recalSteps() int {
	if !r.net.HasBatchStats() {
		return 0
	}
	return min(r.data.Steps(), max(1, (train.RecalibrateImages+r.data.BatchSize-1)/r.data.BatchSize))
}

// progress is the run's Progress after done steps of the current stage.
func (r *Run) progress(stage string, done int) job.Progress {
	perStage := r.tr.Total() + r.recalSteps()
	return job.Progress{
		Stage: stage, Done: int64(r.stage*perStage + done), Total: int64(len(r.plan) * perStage),
		Elapsed: time.Since(r.start), Figures: map[string]float64{"loss": r.trained.Loss, "accuracy": r.trained.EpochAcc},
	}
}

// endStage follows a stage's last training step. The weights and
// intervals moved under the BatchNormalization running statistics, which
// were averaged with momentum over the whole stage and so describe
// activations of weights that no longer exist; re-estimating them from
// the final weights (train.BNRecalibration) is what lets the next stage,
// and the caller's validation, see the network as trained.
func (r *Run) endStage(stage string) (job.Progress, error) {
	if r.recalSteps() > 0 {
		rc, err := train.NewBNRecalibration(r.net, r.data)
		if err != nil {
			return r.last, fmt.Errorf("qil: %w", err)
		}
		r.recal = rc
		return r.last, nil
	}
	return r.finishStage(), nil
}

// recalibrateStep averages one batch into the stage's re-estimated
// statistics.
func (r *Run) recalibrateStep(ctx context.Context, stage string) (job.Progress, error) {
	rp, err := r.recal.Step(ctx)
	if err != nil {
		return r.last, fmt.Errorf("qil: re-estimating BatchNormalization at %s: %w", stage, err)
	}
	r.last = r.progress(stage, r.tr.Total()+int(rp.Done))
	if r.recal.Done() {
		r.recal = nil
		return r.finishStage(), nil
	}
	return r.last, nil
}

// finishStage marks the current stage complete; the next starts with the
// next Step.
func (r *Run) finishStage() job.Progress {
	r.last.Figures["stage_done"] = 1
	r.stage++
	r.pending = !r.Done()
	return r.last
}

// Net is the network being trained (to evaluate between steps).
func (r *Run) Net() *train.Net { return r.net }

// Layers are the planned layers with their current bits.
func (r *Run) Layers() []*Layer { return r.layers }

// Model returns a copy of the QIL form of the model with the current
// weights and intervals: it runs in Pare, and Export turns it into QDQ.
func (r *Run) Model() (*onnx.Model, error) {
	if err := r.net.WriteBack(); err != nil {
		return nil, err
	}
	return clone(r.model)
}
