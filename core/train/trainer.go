package train

import (
	"context"
	"fmt"
	"math"

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
}

// GroupSpec places a parameter in an optimizer group.
type GroupSpec struct {
	Name        string
	LRScale     float64
	WeightDecay float64
}

// Progress is what one Step reports.
type Progress struct {
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
// progress or stop between steps.
type Trainer struct {
	net    *Net
	data   *Loader
	cfg    Config
	opt    optim.Optimizer
	groups []*optim.Group
	sched  optim.Schedule

	epoch, step, global int
	sumLoss             float64
	correct, seen       int
	lastActivation      int64
}

// NewTrainer prepares a run of cfg over data. It makes net reuse its
// buffers from step to step (Net.ReuseBuffers).
func NewTrainer(net *Net, data *Loader, cfg Config) (*Trainer, error) {
	if cfg.Epochs <= 0 {
		return nil, fmt.Errorf("train: epochs must be positive")
	}
	if cfg.LR <= 0 || math.IsNaN(cfg.LR) {
		return nil, fmt.Errorf("train: the learning rate must be positive")
	}
	if data == nil || data.Steps() == 0 {
		return nil, fmt.Errorf("train: no training batches (fewer images than one batch?)")
	}
	t := &Trainer{net: net, data: data, cfg: cfg}
	net.ReuseBuffers(true)
	t.groups = makeGroups(net, cfg)
	if len(t.groups) == 0 {
		return nil, fmt.Errorf("train: every parameter is frozen; nothing to train")
	}
	switch cfg.Optimizer {
	case "", "sgd":
		mom := cfg.Momentum
		if mom == 0 {
			mom = 0.9
		} else if mom < 0 {
			mom = 0
		}
		t.opt = &optim.SGD{Momentum: mom, Nesterov: cfg.Nesterov, Groups: t.groups}
	case "adam":
		t.opt = &optim.Adam{Groups: t.groups}
	case "adamw":
		t.opt = &optim.Adam{Groups: t.groups, Decoupled: true}
	default:
		return nil, fmt.Errorf("train: unknown optimizer %q (sgd, adam or adamw)", cfg.Optimizer)
	}
	total := t.Total()
	steps := data.Steps()
	switch cfg.Schedule {
	case "", "constant":
		t.sched = optim.Constant(cfg.LR)
	case "cosine":
		t.sched = optim.Cosine(cfg.LR, total, 0)
	case "step":
		every, gamma := cfg.StepEpochs, cfg.StepGamma
		if every <= 0 {
			every = max(1, cfg.Epochs/3)
		}
		if gamma == 0 {
			gamma = 0.1
		}
		t.sched = optim.StepDecay(cfg.LR, every*steps, gamma)
	default:
		return nil, fmt.Errorf("train: unknown schedule %q (constant, cosine or step)", cfg.Schedule)
	}
	if cfg.WarmupSteps > 0 {
		t.sched = optim.Warmup(t.sched, cfg.WarmupSteps)
	}
	return t, nil
}

func makeGroups(net *Net, cfg Config) []*optim.Group {
	byName := map[string]*optim.Group{}
	var groups []*optim.Group
	for _, p := range net.Params {
		if p.Frozen {
			continue
		}
		var spec GroupSpec
		if cfg.Group != nil {
			spec = cfg.Group(p)
		} else if p.Kind == KindWeight {
			spec = GroupSpec{Name: "weights", LRScale: 1, WeightDecay: cfg.WeightDecay}
		} else {
			spec = GroupSpec{Name: "no-decay", LRScale: 1}
		}
		g := byName[spec.Name]
		if g == nil {
			g = &optim.Group{Name: spec.Name, LRScale: spec.LRScale, WeightDecay: spec.WeightDecay}
			byName[spec.Name] = g
			groups = append(groups, g)
		}
		g.Vars = append(g.Vars, &optim.Var{Name: p.Name, Value: p.Value.F32, Grad: p.Grad.F32})
	}
	return groups
}

// Total is the number of steps of the whole run.
func (t *Trainer) Total() int { return t.cfg.Epochs * t.data.Steps() }

// Done reports whether every epoch has run.
func (t *Trainer) Done() bool { return t.global >= t.Total() }

// Groups exposes the optimizer groups (to inspect or adjust rates).
func (t *Trainer) Groups() []*optim.Group { return t.groups }

// Step trains one mini-batch. It returns an error once the run is done.
func (t *Trainer) Step(ctx context.Context) (Progress, error) {
	if t.Done() {
		return Progress{}, fmt.Errorf("train: the run is finished")
	}
	x, labels, err := t.data.Batch(t.epoch, t.step)
	if err != nil {
		return Progress{}, err
	}
	inputs := t.net.InputNames()
	if len(inputs) != 1 {
		return Progress{}, fmt.Errorf("train: the model has %d inputs; the trainer feeds exactly one", len(inputs))
	}
	pass, err := t.net.ForwardContext(ctx, map[string]*tensor.Tensor{inputs[0]: x}, ModeTrain)
	if err != nil {
		return Progress{}, err
	}
	loss, dLogits, correct, err := SoftmaxCrossEntropy(pass.Logits(), labels)
	if err != nil {
		return Progress{}, err
	}
	if err := t.net.Backward(pass, dLogits); err != nil {
		return Progress{}, err
	}
	t.lastActivation = pass.Bytes()
	norm := 0.0
	if t.cfg.ClipNorm > 0 {
		norm = optim.ClipGradNorm(t.groups, t.cfg.ClipNorm)
	}
	lr := t.sched.LR(t.global)
	if err := t.opt.Step(lr); err != nil {
		return Progress{}, err
	}
	t.sumLoss += loss * float64(len(labels))
	t.correct += correct
	t.seen += len(labels)
	p := Progress{
		Epoch: t.epoch, Epochs: t.cfg.Epochs, Step: t.step, StepsPerEpoch: t.data.Steps(),
		Loss: loss, Accuracy: float64(correct) / float64(len(labels)),
		EpochLoss: t.sumLoss / float64(t.seen), EpochAcc: float64(t.correct) / float64(t.seen),
		LR: lr, GradNorm: norm, Images: len(labels), EpochImages: t.seen,
		ActivationBytes: t.lastActivation, BatchShape: x.Shape,
	}
	t.global++
	t.step++
	p.GlobalStep, p.Total = t.global, t.Total()
	if t.step == t.data.Steps() {
		p.EpochDone = true
		t.epoch++
		t.step = 0
		t.sumLoss, t.correct, t.seen = 0, 0, 0
	}
	p.Done = t.Done()
	return p, nil
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
