package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train/optim"
)

// Config is a training run's hyperparameters.
type Config struct {
	Epochs int
	// Optimizer is "sgd" (default) or "adam".
	Optimizer string
	LR        float64
	// Momentum for SGD (default 0.9; negative means none) and Nesterov.
	Momentum float64
	Nesterov bool
	// WeightDecay applies to weights (Conv, Gemm, MatMul); biases and
	// BatchNormalization parameters get none.
	WeightDecay float64
	// Schedule is "constant" (default), "cosine" (to 0 over the run) or
	// "step" (x StepGamma every StepEpochs epochs).
	Schedule   string
	StepEpochs int
	StepGamma  float64
	// WarmupSteps ramps the learning rate up linearly over the first steps.
	WarmupSteps int
	// ClipNorm clips the global gradient norm (0: off).
	ClipNorm float64
	// Group, when set, puts a parameter into a named optimizer group with
	// its own learning-rate factor and weight decay (QIL's intervals train
	// with a smaller rate); by default weights and the rest form two.
	Group func(p *Param) GroupSpec
	// Loss, when set, replaces the softmax cross-entropy on the logits:
	// knowledge distillation (Distill) and QIL's regularised losses plug
	// in here without a loop of their own.
	Loss LossFunc
	// OnGradients, when set, runs after each backward pass and before
	// clipping and the update: to add a regulariser's gradient to the
	// parameters, or to mask the gradients of pruned channels.
	OnGradients func(net *Net) error
	// Parallel, when set, makes the run one worker of a data-parallel run
	// (Setup.Parallel sets it up): gradients and batch statistics are
	// summed over the workers before OnGradients and the update.
	Parallel *Parallel
}

// GroupSpec places a parameter in an optimizer group.
type GroupSpec struct {
	Name        string
	LRScale     float64
	WeightDecay float64
}

// StepStats are the details of one training step (Trainer.Last); Step
// reports the same as a job.Progress.
type StepStats struct {
	Epoch, Epochs       int     // Epoch counts from 0
	Step, StepsPerEpoch int     // the step just taken, from 0
	GlobalStep, Total   int     // steps taken so far (after this one), of Total
	Loss, Accuracy      float64 // of this batch (training mode)
	EpochLoss, EpochAcc float64 // running means over the epoch so far
	LR                  float64 // the base learning rate of this step
	GradNorm            float64 // before clipping; 0 unless Config.ClipNorm is set
	EpochDone, Done     bool
	Images, EpochImages int   // images in this batch and so far this epoch
	ActivationBytes     int64 // memory of the values kept for the backward pass
	BatchShape          []int
}

// Trainer runs a training loop one mini-batch at a time: the caller
// drives it (Step until Done), so it can yield to a browser, draw
// progress or stop between steps. It is a job.Stepper.
type Trainer struct {
	net   *Net
	data  *Loader
	cfg   Config
	opt   optim.Optimizer
	group []*optim.Group
	sched optim.Schedule
	loss  LossFunc
	start time.Time

	epoch, step, global int
	sumLoss             float64
	correct, seen       int
	last                StepStats
}

// NewTrainer prepares a run of cfg over data. It makes net reuse its
// buffers from step to step (Net.ReuseBuffers).
func NewTrainer(net *Net, data *Loader, cfg Config) (*Trainer, error) {
	if cfg.Epochs <= 0 {
		return nil, fmt.Errorf("train: epochs must be positive")
	}
	if cfg.LR <= 0 || math.IsNaN(cfg.LR) || math.IsInf(cfg.LR, 0) {
		return nil, fmt.Errorf("train: the learning rate must be a positive number")
	}
	if data == nil || data.Steps() == 0 {
		return nil, fmt.Errorf("train: no training batches (fewer images than one batch?)")
	}
	if len(net.InputNames()) != 1 {
		return nil, fmt.Errorf("train: the model has %d inputs; the trainer feeds exactly one", len(net.InputNames()))
	}
	opt, groups, err := NewOptimizer(net, cfg)
	if err != nil {
		return nil, err
	}
	sched, err := NewSchedule(cfg, data.Steps())
	if err != nil {
		return nil, err
	}
	t := &Trainer{net: net, data: data, cfg: cfg, opt: opt, group: groups, sched: sched, loss: cfg.Loss}
	if t.loss == nil {
		t.loss = CrossEntropy
	}
	net.ReuseBuffers(true)
	return t, nil
}

// Total is the number of steps of the whole run.
func (t *Trainer) Total() int { return t.cfg.Epochs * t.data.Steps() }

// Done reports whether every epoch has run.
func (t *Trainer) Done() bool { return t.global >= t.Total() }

// Groups exposes the optimizer groups (to inspect or adjust rates).
func (t *Trainer) Groups() []*optim.Group { return t.group }

// Last is the details of the step Step last took.
func (t *Trainer) Last() StepStats { return t.last }

// Step trains one mini-batch and reports it as stage "train": Done and
// Total count steps of the whole run; the figures are "loss" and
// "accuracy" (running means over the epoch so far), "batch_loss", "lr"
// and "epoch" (from 1). It returns an error once the run is done, and
// ErrNotFinite when the loss is NaN or infinite.
func (t *Trainer) Step(ctx context.Context) (job.Progress, error) {
	if t.Done() {
		return job.Progress{}, fmt.Errorf("train: the run is finished")
	}
	if err := ctx.Err(); err != nil {
		return job.Progress{}, err
	}
	if t.global == 0 {
		t.start = time.Now()
	}
	x, labels, err := t.data.Batch(t.epoch, t.step)
	if err != nil {
		return job.Progress{}, err
	}
	var pass *Pass
	var loss float64
	var correct int
	images := len(labels)
	if par := t.cfg.Parallel; par != nil {
		st, err := par.trainStep(ctx, t.net, t.loss, x, labels, t.data.BatchLen(t.step))
		if err != nil {
			return job.Progress{}, err
		}
		if math.IsNaN(st.loss) || math.IsInf(st.loss, 0) {
			return job.Progress{}, ErrNotFinite
		}
		pass, loss, correct, images = st.pass, st.loss, st.correct, st.images
	} else {
		if pass, err = t.net.ForwardContext(ctx, map[string]*tensor.Tensor{t.net.InputNames()[0]: x}, ModeTrain); err != nil {
			return job.Progress{}, err
		}
		var dLogits *tensor.Tensor
		if loss, dLogits, correct, err = t.loss(ctx, x, labels, pass.Logits()); err != nil {
			return job.Progress{}, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return job.Progress{}, ErrNotFinite
		}
		if err := t.net.Backward(pass, dLogits); err != nil {
			return job.Progress{}, err
		}
	}
	if t.cfg.OnGradients != nil {
		if err := t.cfg.OnGradients(t.net); err != nil {
			return job.Progress{}, err
		}
	}
	norm := 0.0
	if t.cfg.ClipNorm > 0 {
		norm = optim.ClipGradNorm(t.group, t.cfg.ClipNorm)
	}
	lr := t.sched.LR(t.global)
	if err := t.opt.Step(lr); err != nil {
		return job.Progress{}, err
	}
	t.sumLoss += loss * float64(images)
	t.correct += correct
	t.seen += images
	s := StepStats{
		Epoch: t.epoch, Epochs: t.cfg.Epochs, Step: t.step, StepsPerEpoch: t.data.Steps(),
		Loss: loss, Accuracy: float64(correct) / float64(images),
		EpochLoss: t.sumLoss / float64(t.seen), EpochAcc: float64(t.correct) / float64(t.seen),
		LR: lr, GradNorm: norm, Images: images, EpochImages: t.seen,
		ActivationBytes: pass.Bytes(), BatchShape: x.Shape,
	}
	t.global++
	t.step++
	s.GlobalStep, s.Total = t.global, t.Total()
	if t.step == t.data.Steps() {
		s.EpochDone = true
		t.epoch++
		t.step = 0
		t.sumLoss, t.correct, t.seen = 0, 0, 0
	}
	s.Done = t.Done()
	t.last = s
	return job.Progress{
		Stage: "train", Done: int64(s.GlobalStep), Total: int64(s.Total), Elapsed: time.Since(t.start),
		Figures: map[string]float64{"loss": s.EpochLoss, "accuracy": s.EpochAcc, "batch_loss": s.Loss, "lr": lr, "epoch": float64(s.Epoch + 1)},
	}, nil
}

// Bytes is the memory held by the pass's computed values (activations
// kept for the backward pass), excluding inputs and weights.
func (p *Pass) Bytes() int64 {
	var total int64
	seen := map[*tensor.Tensor]bool{}
	for name, t := range p.values {
		if _, isConst := p.net.consts[name]; isConst || seen[t] {
			continue
		}
		seen[t] = true // a fused Relu shares its input's tensor
		total += tensorBytes(t)
	}
	return total
}

func tensorBytes(t *tensor.Tensor) int64 {
	n := int64(t.Len())
	switch t.DType {
	case tensor.Float64, tensor.Int64:
		return 8 * n
	case tensor.Int8, tensor.Uint8, tensor.Bool, tensor.Int4, tensor.Uint4:
		return n
	}
	return 4 * n
}
