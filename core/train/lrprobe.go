package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train/optim"
)

// measureImages is how many images the probe measures its loss on: enough
// to hold a trained model's few mistakes (a 99 %-accurate model gets
// about 5 of 512 wrong), which carry its loss; a quarter of the training
// images when that is fewer, so that probing a small set does not cost
// more than an epoch on it.
func measureImages(trainImages int) int { return min(512, max(1, trainImages/4)) }

// ProbeOptions bound a learning-rate range test.
type ProbeOptions struct {
	// Min and Max are the first and last learning rates tried (defaults:
	// 1e-6 and 1 for Adam, whose step is about the rate whatever the
	// gradient; 1e-8 and 10 for SGD, whose step scales with the gradient,
	// which differs by orders of magnitude between models). PerDecade is
	// how many steps each factor of ten gets (default 4).
	Min, Max  float64
	PerDecade int
}

func (o ProbeOptions) withDefaults(optimizer string) ProbeOptions {
	lo, hi := 1e-6, 1.0
	if optimizer == "" || optimizer == "sgd" {
		lo, hi = 1e-8, 10
	}
	if o.Min <= 0 {
		o.Min = lo
	}
	if o.Max <= o.Min {
		o.Max = max(hi, 10*o.Min)
	}
	if o.PerDecade <= 0 {
		o.PerDecade = 4
	}
	return o
}

// ProbePoint is one step of the probe: the rate it trained at and the
// loss after the update on the probe's fixed measuring batches (-1 once
// the loss is not finite, which JSON cannot carry).
type ProbePoint struct {
	LR   float64 `json:"lr"`
	Loss float64 `json:"loss"`
}

// LRProbe is a learning-rate range test (Smith, 2017): one mini-batch per
// step at a rate growing geometrically from Min to Max, until the loss
// blows up. The loss of each step is measured after its update, in
// evaluation mode, on the same measuring images (the first batches of the
// loader, up to 512 images): a batch's own training loss jumps from batch to
// batch far more than the rate moves it, above all for a trained model
// whose few mistakes carry all its loss (mnist-8: 99 % right, mean loss
// 10). When it is done it restores the weights it started from and LR
// returns the chosen rate:
//
//   - the edge is the first rate at which the median loss of the last
//     three steps exceeds twice the lowest such median so far plus 0.05
//     (or the loss stops being finite): past it training diverges;
//   - when the loss fell clearly below its starting level before the edge
//     (a model that still has much to learn: pruned, or from scratch), the
//     rate is the one of the lowest median loss, divided by 3;
//   - otherwise (a trained model, whose loss is flat until the edge), it
//     is the edge divided by 10.
//
// Both keep a margin below the rate where the loss turns, which the
// warm-up and the cosine decay of Fit's schedule keep further from.
type LRProbe struct {
	net   *Net
	data  *Loader
	cfg   Config
	opt   ProbeOptions
	optim optim.Optimizer
	loss  LossFunc
	start *Weights
	began time.Time

	total   int
	base    float64 // the measured loss before any update
	measure []int   // the loader steps (of epoch 0) that measure
	points  []ProbePoint
	done    bool
	chosen  float64
	reason  string
}

// NewLRProbe prepares a probe of net on data with cfg's optimizer, groups
// and loss (cfg.LR is ignored).
func NewLRProbe(net *Net, data *Loader, cfg Config, opt ProbeOptions) (*LRProbe, error) {
	if data == nil || data.Steps() == 0 {
		return nil, fmt.Errorf("train: no training batches to probe the learning rate on")
	}
	if len(net.InputNames()) != 1 {
		return nil, fmt.Errorf("train: the model has %d inputs; the trainer feeds exactly one", len(net.InputNames()))
	}
	o, _, err := NewOptimizer(net, cfg)
	if err != nil {
		return nil, err
	}
	opt = opt.withDefaults(cfg.Optimizer)
	p := &LRProbe{net: net, data: data, cfg: cfg, opt: opt, optim: o, loss: cfg.Loss, start: net.Snapshot()}
	if p.loss == nil {
		p.loss = CrossEntropy
	}
	p.total = int(math.Ceil(math.Log10(opt.Max/opt.Min)*float64(opt.PerDecade))) + 1
	for step := 0; step < data.Steps() && step*data.BatchSize < measureImages(data.Len()); step++ {
		p.measure = append(p.measure, step)
	}
	net.ReuseBuffers(true)
	return p, nil
}

// rebase makes the net's current weights the ones the probe starts from
// and restores when it is done.
func (p *LRProbe) rebase() { p.start = p.net.Snapshot() }

// Done reports whether the probe has finished (and restored the weights).
func (p *LRProbe) Done() bool { return p.done }

// Points is the loss curve so far.
func (p *LRProbe) Points() []ProbePoint {
	out := slices.Clone(p.points)
	for i := range out {
		if math.IsInf(out[i].Loss, 1) {
			out[i].Loss = -1
		}
	}
	return out
}

// LR is the chosen learning rate (0 until Done) and the rule that chose it.
func (p *LRProbe) LR() (float64, string) { return p.chosen, p.reason }

// Step trains one batch at the next rate, as stage "probe".
func (p *LRProbe) Step(ctx context.Context) (job.Progress, error) {
	if p.done {
		return p.progress(), fmt.Errorf("train: the probe is finished")
	}
	if err := ctx.Err(); err != nil {
		return p.progress(), err
	}
	if len(p.points) == 0 {
		p.began = time.Now()
		base, err := p.measured(ctx)
		if err != nil {
			return p.progress(), err
		}
		p.base = base
	}
	k := len(p.points)
	lr := p.opt.Min * math.Pow(10, float64(k)/float64(p.opt.PerDecade))
	_, err := p.trainOne(ctx, k, lr)
	if err != nil && !errors.Is(err, ErrNotFinite) {
		p.net.Restore(p.start)
		return p.progress(), err
	}
	loss := math.Inf(1)
	if err == nil {
		if loss, err = p.measured(ctx); err != nil {
			p.net.Restore(p.start)
			return p.progress(), err
		}
	}
	if math.IsNaN(loss) {
		loss = math.Inf(1)
	}
	p.points = append(p.points, ProbePoint{LR: lr, Loss: loss})
	if p.blownUp() || len(p.points) >= p.total {
		p.finish()
	}
	return p.progress(), nil
}

// measured is the mean loss on the measuring batches, in ModeEval.
func (p *LRProbe) measured(ctx context.Context) (float64, error) {
	var sum float64
	var n int
	for _, step := range p.measure {
		x, labels, err := p.data.Batch(0, step)
		if err != nil {
			return 0, err
		}
		pass, err := p.net.ForwardContext(ctx, map[string]*tensor.Tensor{p.net.InputNames()[0]: x}, ModeEval)
		if err != nil {
			return 0, err
		}
		loss, _, _, err := p.loss(ctx, x, labels, pass.Logits())
		if errors.Is(err, ErrNotFinite) || math.IsNaN(loss) || math.IsInf(loss, 0) {
			if p.cfg.Parallel == nil {
				return math.Inf(1), nil
			}
			loss, err = math.Inf(1), nil // the other workers still wait for this one's sum
		}
		if err != nil {
			return 0, err
		}
		sum += loss * float64(len(labels))
		n += len(labels)
	}
	if p.cfg.Parallel != nil {
		return p.cfg.Parallel.meanOver(ctx, sum, n)
	}
	return sum / float64(n), nil
}

func (p *LRProbe) trainOne(ctx context.Context, k int, lr float64) (float64, error) {
	step := k % p.data.Steps()
	x, labels, err := p.data.Batch(k/p.data.Steps(), step)
	if err != nil {
		return 0, err
	}
	var loss float64
	if par := p.cfg.Parallel; par != nil {
		st, err := par.trainStep(ctx, p.net, p.loss, x, labels, p.data.BatchLen(step))
		if err != nil {
			return 0, err
		}
		if loss = st.loss; math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, ErrNotFinite
		}
	} else {
		pass, err := p.net.ForwardContext(ctx, map[string]*tensor.Tensor{p.net.InputNames()[0]: x}, ModeTrain)
		if err != nil {
			return 0, err
		}
		var dLogits *tensor.Tensor
		if loss, dLogits, _, err = p.loss(ctx, x, labels, pass.Logits()); err != nil {
			return 0, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return loss, ErrNotFinite
		}
		if err := p.net.Backward(pass, dLogits); err != nil {
			return 0, err
		}
	}
	if p.cfg.OnGradients != nil {
		if err := p.cfg.OnGradients(p.net); err != nil {
			return 0, err
		}
	}
	return loss, p.optim.Step(lr)
}

// medians is the running median of three of the losses.
func (p *LRProbe) medians() []float64 {
	out := make([]float64, 0, len(p.points))
	for i := range p.points {
		w := []float64{}
		for j := max(0, i-2); j <= i; j++ {
			w = append(w, p.points[j].Loss)
		}
		slices.Sort(w)
		out = append(out, w[len(w)/2])
	}
	return out
}

// edge is the index of the first point past which the loss has blown up,
// or -1.
func (p *LRProbe) edge() int {
	med := p.medians()
	lowest := p.base
	for i, m := range med {
		if math.IsInf(p.points[i].Loss, 1) || (i >= 2 && m > 2*lowest+0.05) {
			return i
		}
		lowest = math.Min(lowest, m)
	}
	return -1
}

func (p *LRProbe) blownUp() bool { return p.edge() >= 0 }

func (p *LRProbe) finish() {
	p.done = true
	p.net.Restore(p.start)
	med := p.medians()
	edge := p.edge()
	end := len(med)
	if edge >= 0 {
		end = edge
	}
	edgeLR := p.opt.Max
	if edge >= 0 {
		edgeLR = p.points[edge].LR
	}
	if end == 0 {
		p.chosen = p.opt.Min
		p.reason = "the loss was not finite from the first step"
		return
	}
	startLevel := p.base
	best := 0
	for i := range end {
		if med[i] < med[best] {
			best = i
		}
	}
	if med[best] < 0.8*startLevel {
		p.chosen = math.Min(p.points[best].LR/3, edgeLR/10)
		p.reason = fmt.Sprintf("the loss fell from %.3g to %.3g (at lr %.2g) before rising at lr %.2g: a third of the rate of the lowest loss", startLevel, med[best], p.points[best].LR, edgeLR)
		return
	}
	p.chosen = edgeLR / 10
	if edge >= 0 {
		p.reason = fmt.Sprintf("the loss stayed near %.3g until lr %.2g: a tenth of that edge", startLevel, edgeLR)
	} else {
		p.reason = fmt.Sprintf("the loss did not rise up to lr %.2g: a tenth of it", edgeLR)
	}
}

func (p *LRProbe) progress() job.Progress {
	pr := job.Progress{Stage: "probe", Done: int64(len(p.points)), Total: int64(p.total)}
	if p.done {
		pr.Done = pr.Total
	}
	if !p.began.IsZero() {
		pr.Elapsed = time.Since(p.began)
	}
	if n := len(p.points); n > 0 && !math.IsInf(p.points[n-1].Loss, 1) {
		pr.Figures = map[string]float64{"lr": p.points[n-1].LR, "loss": p.points[n-1].Loss}
	}
	if p.done {
		pr.Message = fmt.Sprintf("learning rate %.2g chosen by a range test over %d batches: %s", p.chosen, len(p.points), p.reason)
		pr.Figures = map[string]float64{"lr": p.chosen}
	}
	return pr
}
