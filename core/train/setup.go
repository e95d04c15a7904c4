package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// FinetuneDefaults are the hyperparameters of `pare finetune` and the
// page's fine-tune stage when nothing is given: Adam (its step does not
// depend on the gradients' scale, which varies by orders of magnitude
// between models: mnist-8's logits are in the hundreds), the rate chosen
// by an LRProbe (LR 0), a warm-up of 5 % of the steps (at most 100) and a
// cosine decay to 0, one epoch, no weight decay.
func FinetuneDefaults() Config {
	return Config{Epochs: 1, Optimizer: "adam", Schedule: "cosine", WarmupSteps: -1}
}

// TrainDefaults are those of `pare train` (from scratch, after pare init):
// SGD with Nesterov momentum 0.9 at 0.05, cosine decay after 100 warm-up
// steps, weight decay 5e-4, ten epochs.
func TrainDefaults() Config {
	return Config{Epochs: 10, Optimizer: "sgd", LR: 0.05, Nesterov: true, Schedule: "cosine", WarmupSteps: 100, WeightDecay: 5e-4}
}

// DefaultValFraction is the share of the training images a job holds out
// for validation when it is given no validation set (stratified, seeded).
const DefaultValFraction = 0.1

// SmallBatch is the batch size below which fine-tuning freezes
// BatchNormalization on its running statistics: the statistics of a few
// images are too noisy to train with, or to replace trained ones.
const SmallBatch = 16

// Setup is what a training job is made of: a model, labelled images and
// how to feed them.
type Setup struct {
	Model *onnx.Model
	// Train is the training set; TrainIndices picks images from it (nil:
	// all).
	Train        *dataset.Set
	TrainIndices []int
	// Val is the validation set (nil: ValFraction of Train is held out;
	// ValFraction 0 with no Val: no validation); ValIndices picks images
	// from it (nil: all).
	Val         *dataset.Set
	ValIndices  []int
	ValFraction float64
	// Limit keeps the first Limit training images (0: all).
	Limit int
	// Preprocess turns images into the model's input; its size and layout
	// come from the model when left zero (dataset.DefaultPreprocess).
	Preprocess dataset.Preprocess
	Batch      int
	Seed       int64
	Augment    Augment
	Net        NetOptions
	// Distill, when set, trains against Teacher's logits (nil Teacher: a
	// copy of Model as given, before training).
	Distill *DistillOptions
	Teacher *onnx.Model
	// KeepZeroTaps keeps every all-zero kernel tap of the conv weights at
	// zero while training (KeepZeroTaps): a model pruned with kernel-shape
	// granularity stores its removed taps that way.
	KeepZeroTaps bool
	// Parallel, when set, makes this job one worker of a data-parallel
	// run: Prepare shards the batches and the validation images, lays the
	// gradients out in one buffer and synchronises BatchNormalization.
	// Every worker is given the same Setup otherwise.
	Parallel *Parallel
}

// Plan is a Setup made ready: the net, its loaders, the memory estimate
// and the notes a person should read.
type Plan struct {
	Net        *Net
	Train, Val *Loader
	InputShape []int
	Memory     Memory
	Loss       LossFunc // nil: cross-entropy
	Notes      []string
	Parallel   *Parallel // Setup.Parallel, bound to this plan
	// OnGradients is the hook Options adds to every Config (the zero-tap
	// mask of Setup.KeepZeroTaps), nil when none.
	OnGradients func(*Net) error
}

// Prepare builds the net and the loaders of s. A last batch smaller than
// Batch is dropped when an epoch has several (BatchNormalization
// statistics of two images are meaningless).
func Prepare(s Setup) (*Plan, error) {
	if s.Model == nil {
		return nil, fmt.Errorf("train: no model")
	}
	if s.Train == nil || s.Train.N() == 0 {
		return nil, fmt.Errorf("train: no training images")
	}
	if s.Batch < 1 {
		return nil, fmt.Errorf("train: the batch size must be at least 1")
	}
	if s.ValFraction < 0 || s.ValFraction >= 1 {
		return nil, fmt.Errorf("train: the validation fraction must be in [0, 1)")
	}
	net, err := NewNet(s.Model, s.Net)
	if err != nil {
		return nil, err
	}
	if len(net.InputNames()) != 1 {
		return nil, fmt.Errorf("train: the model has %d inputs; training feeds image classifiers with one", len(net.InputNames()))
	}
	plan := &Plan{Net: net}
	if plan.InputShape, err = inputShape(s.Model, net.InputNames()[0], s.Batch); err != nil {
		return nil, err
	}
	pre := s.Preprocess
	def := dataset.DefaultPreprocess(plan.InputShape)
	if pre.Channels == 0 && pre.Height == 0 && pre.Width == 0 && pre.Layout == "" {
		pre.Channels, pre.Height, pre.Width, pre.Layout = def.Channels, def.Height, def.Width, def.Layout
	}
	if pre.Scale == 0 {
		pre.Scale = 1
	}
	if pre.ChannelOrder == "" {
		pre.ChannelOrder = def.ChannelOrder
	}
	trainIdx, valSet, valIdx := s.TrainIndices, s.Val, s.ValIndices
	if valSet == nil && s.ValFraction > 0 {
		if trainIdx != nil {
			return nil, fmt.Errorf("train: give TrainIndices or ValFraction, not both")
		}
		if trainIdx, valIdx, err = s.Train.Split(1-s.ValFraction, s.Seed); err != nil {
			return nil, err
		}
		valSet = s.Train
		plan.Notes = append(plan.Notes, fmt.Sprintf("validation: %d of the %d images held out (%.0f %%, stratified by class, seed %d)", len(valIdx), s.Train.N(), 100*s.ValFraction, s.Seed))
	}
	if s.Limit > 0 {
		if trainIdx == nil {
			trainIdx = make([]int, s.Train.N())
			for i := range trainIdx {
				trainIdx[i] = i
			}
		}
		trainIdx = trainIdx[:min(s.Limit, len(trainIdx))]
	}
	plan.Train = &Loader{Set: s.Train, Indices: trainIdx, Preprocess: pre, BatchSize: s.Batch, Shuffle: true, Seed: s.Seed, Augment: s.Augment}
	plan.Train.DropLast = plan.Train.Len() > s.Batch
	if valSet != nil {
		plan.Val = &Loader{Set: valSet, Indices: valIdx, Preprocess: pre, BatchSize: s.Batch}
	}
	if s.KeepZeroTaps {
		hook, n := KeepZeroTaps(net)
		plan.OnGradients = hook
		if n > 0 {
			plan.Notes = append(plan.Notes, fmt.Sprintf("%d removed kernel taps (all-zero) are kept at zero", n))
		}
	}
	if s.Parallel != nil {
		if err := s.Parallel.bind(plan); err != nil {
			return nil, err
		}
		plan.Parallel = s.Parallel
	}
	if mem, err := net.EstimateMemory(map[string][]int{net.InputNames()[0]: plan.InputShape}); err == nil {
		plan.Memory = mem
	}
	if s.Distill != nil {
		teacherModel := s.Teacher
		if teacherModel == nil {
			teacherModel = s.Model // NewNet copies the weights: training does not reach the teacher's
		}
		teacher, err := NewNet(teacherModel, NetOptions{Logits: s.Net.Logits})
		if err != nil {
			return nil, fmt.Errorf("train: the distillation teacher: %w", err)
		}
		teacher.ReuseBuffers(true)
		if plan.Loss, err = Distill(teacher.EvalForward(), *s.Distill); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// inputShape is the model's input shape at the batch size asked: a fixed
// batch dimension of 1 (a common export default) is usually not a limit
// of the graph.
func inputShape(m *onnx.Model, input string, batch int) ([]int, error) {
	shapes, err := graph.DefaultInputShapes(m, batch)
	if err != nil {
		return nil, err
	}
	s := append([]int(nil), shapes[input]...)
	if len(s) > 0 {
		s[0] = batch
	}
	return s, nil
}

// Options makes the FitOptions of this plan with cfg (whose Loss, when
// unset, becomes the plan's). A negative cfg.WarmupSteps means 5 % of the
// run, at most 100 steps.
func (p *Plan) Options(cfg Config) FitOptions {
	if cfg.Loss == nil {
		cfg.Loss = p.Loss
	}
	if cfg.Parallel == nil {
		cfg.Parallel = p.Parallel
	}
	cfg.OnGradients = chainGradients(cfg.OnGradients, p.OnGradients)
	if cfg.WarmupSteps < 0 {
		cfg.WarmupSteps = min(100, cfg.Epochs*p.Train.Steps()/20)
	}
	return FitOptions{Config: cfg, Train: p.Train, Val: p.Val}
}
