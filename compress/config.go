package compress

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// Stage names one step of the pipeline, as Progress.Stage reports it.
type Stage string

const (
	StagePrune    Stage = "prune"
	StageFinetune Stage = "finetune"
	StageQuantize Stage = "quantize"
	StageEvaluate Stage = "evaluate"
)

// Stages are the pipeline's stages in order.
var Stages = []Stage{StagePrune, StageFinetune, StageQuantize, StageEvaluate}

// Config is one compression run. Model and Train are required; every
// other field has a default that gives a good result. Without a budget
// (no Budgets and no Latency) the run quantizes only: the prune and
// fine-tune stages are skipped and QIL starts from Model itself
// (Config.QuantizeOnly).
type Config struct {
	// Model is the trained float model to compress. The pipeline never
	// changes it.
	Model *onnx.Model
	// Budgets cap the pruned model's resources (qcqp.Budget: a fraction of
	// the model's own figure or an absolute one). The exported file is
	// re-measured against them.
	Budgets []qcqp.Budget
	// Latency, when set, caps the pruned model's time as LatencyModel
	// predicts it: a share of the unpruned network's predicted time, or
	// seconds. LatencyModel must be measured on this network, in the
	// runtime the file will run in (`pare latency`, or the page's
	// Calibrate in this browser); the exported file is checked against
	// its prediction, not timed.
	Latency      *qcqp.LatencyBudget
	LatencyModel *qcqp.LatencyModel
	// Importance scores the channels: "l1" (default, the paper's) or "l2".
	Importance qcqp.Norm
	// SolverTime bounds the exact channel selection (default 10 s); the
	// best selection found by then is used, with its proven gap.
	SolverTime time.Duration
	// MinKeep is the share of every prunable channel group that pruning
	// must keep (qcqp.Analysis.MinKeep; zero: one channel, the paper's
	// problem). Nil: qcqp.DefaultMinKeep, lowered as far as the budgets
	// need (qcqp.Problem.FitMinKeep).
	MinKeep *float64

	// Train holds the labelled training images; TrainIndices picks some
	// of them (nil: all, less the validation hold-out).
	Train        *dataset.Set
	TrainIndices []int
	// Val is the validation set: keep-best of the fine-tune and every
	// stage's reported accuracy. Nil: ValFraction (default
	// train.DefaultValFraction) of Train is held out, stratified.
	Val         *dataset.Set
	ValIndices  []int
	ValFraction float64
	// Test, when set, is a set no stage looks at: accuracy on it is
	// reported for every stage.
	Test        *dataset.Set
	TestIndices []int
	// Preprocess turns images into the model's input (zero sizes: from
	// the model's input shape; zero Scale: 1, raw 0..255).
	Preprocess dataset.Preprocess
	// Batch is the images per step of fine-tuning and QIL (default 64).
	Batch int
	Seed  int64

	// Finetune holds the fine-tune hyperparameters (zero:
	// train.FinetuneDefaults: Adam at a probed rate, one epoch, cosine).
	Finetune train.Config
	// NoDistill trains on the labels alone; by default the fine-tune
	// distils from Model (train.DistillOptions defaults).
	NoDistill bool
	// SkipFinetune goes from pruning straight to quantization (a
	// quantize-only run skips the fine-tune whatever this says: there is
	// nothing pruned to recover from).
	SkipFinetune bool
	// Parallel, when set, makes the training stages one worker of a
	// data-parallel run: the fine-tune (train.Setup.Parallel) and QIL
	// (qil.Config.Parallel). Each worker runs the pipeline with the same
	// Config, resumed after the prune stage (the solver's time limit
	// makes its selection depend on the machine's pace, so it runs once)
	// or after the fine-tune, and every worker ends each training stage
	// with the same model, equal to one worker's to float rounding.
	Parallel *train.Parallel

	// Quantize is the QIL run (zero Bits: 4/4; KeepFP nil: first and
	// last layer in float, the paper's convention; progressive schedule).
	Quantize qil.Config
	// Storage of the exported weights (default int8: every runtime).
	Storage qil.Storage

	// Resume starts the pipeline after a finished stage, from that
	// stage's model (Pipeline.Model of an earlier run) and its report.
	Resume *Resume
}

// Resume is where an interrupted pipeline starts again.
type Resume struct {
	// After is the last finished stage (prune, finetune or quantize).
	After Stage
	// Model is that stage's result.
	Model *onnx.Model
	// Report is the earlier run's report (its figures are kept); nil
	// starts a fresh one.
	Report *Report
}

// MinFinetuneSteps is the least number of steps the default fine-tune
// takes: one epoch of a few hundred images is a handful of steps, far
// too few to recover from pruning (on the demo net, 8 steps recover 30 of
// the 70 points lost; docs/compression.md).
const MinFinetuneSteps = 200

// ErrNoLatencyModel is returned when a latency budget comes without the
// latency model that predicts the network's time.
var ErrNoLatencyModel = errors.New("compress: a latency budget needs a latency model measured on this network (pare latency MODEL -o FILE, then --latency-model FILE)")

// ErrNoData is returned when a pipeline is given no training images:
// fine-tuning and QIL both learn from them.
var ErrNoData = errors.New("compress: no training images: fine-tuning and QIL learn from labelled images (--data)")

// QuantizeOnly reports whether the run has no budget: nothing is pruned,
// so the prune and fine-tune stages are skipped and QIL quantizes Model
// as it is, as `pare quantize` does.
func (c *Config) QuantizeOnly() bool { return len(c.Budgets) == 0 && c.Latency == nil }

func (c *Config) defaults() {
	if c.Importance == "" {
		c.Importance = qcqp.NormL1
	}
	if c.SolverTime == 0 {
		c.SolverTime = 10 * time.Second
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.ValFraction == 0 && c.Val == nil {
		c.ValFraction = train.DefaultValFraction
	}
	if c.Finetune.Epochs == 0 && c.Finetune.Optimizer == "" {
		c.Finetune = train.FinetuneDefaults()
	}
	if c.Quantize.Bits == (qil.Bits{}) {
		c.Quantize.Bits = qil.Bits{W: 4, A: 4}
	}
	if c.Quantize.Seed == 0 {
		c.Quantize.Seed = c.Seed
	}
	if c.Storage == "" {
		c.Storage = qil.StorageInt8
	}
}

// check refuses a request that cannot run, naming the problem, before any
// work.
func (c *Config) check() error {
	switch {
	case c.Model == nil || c.Model.Graph == nil:
		return fmt.Errorf("compress: no model")
	case c.Latency != nil && c.LatencyModel == nil:
		return ErrNoLatencyModel
	case c.Train == nil || c.Train.N() == 0:
		return ErrNoData
	case c.Batch < 1:
		return fmt.Errorf("compress: the batch size must be at least 1")
	case c.SolverTime < 0:
		return fmt.Errorf("compress: the solver's time limit must be positive")
	case c.MinKeep != nil && (math.IsNaN(*c.MinKeep) || *c.MinKeep < 0 || *c.MinKeep > 1):
		return fmt.Errorf("compress: the kept share of each channel group must be between 0 and 1 (it is %v)", *c.MinKeep)
	case c.ValFraction < 0 || c.ValFraction >= 1:
		return fmt.Errorf("compress: the validation fraction must be in [0, 1)")
	case c.Importance != qcqp.NormL1 && c.Importance != qcqp.NormL2:
		return fmt.Errorf("compress: importance %q: want l1 or l2", c.Importance)
	case c.Storage != qil.StorageInt8 && c.Storage != qil.StorageInt4:
		return fmt.Errorf("compress: storage %q: want int8 or int4", c.Storage)
	}
	if b := c.Quantize.Bits; b.W < qil.MinBits || b.W > qil.MaxBits || b.A < qil.MinBits || b.A > qil.MaxBits {
		return fmt.Errorf("compress: bits %s out of range: weights and activations take %d..%d bits", b, qil.MinBits, qil.MaxBits)
	}
	if err := c.Quantize.Check(c.Model); err != nil {
		// Pruning keeps every layer and its name, so what the original
		// model refuses the pruned one would refuse after the fine-tune.
		if c.QuantizeOnly() && errors.Is(err, qil.ErrNothingToQuantize) {
			// Every run quantizes; one without a budget does nothing else.
			return fmt.Errorf("compress: %w; without a budget nothing is pruned either, so there would be nothing to do", err)
		}
		return fmt.Errorf("compress: %w", err)
	}
	if c.Latency != nil {
		if err := c.Latency.Check(); err != nil {
			return fmt.Errorf("compress: budget %s: give a share in (0, 1] of the predicted time or a time above 0", *c.Latency)
		}
	}
	seen := map[qcqp.Resource]bool{}
	for _, b := range c.Budgets {
		if !slices.Contains(qcqp.Resources, b.Resource) {
			return fmt.Errorf("compress: unknown resource %q in a budget (want macs, params or memory)", b.Resource)
		}
		if seen[b.Resource] {
			return fmt.Errorf("compress: %s is budgeted twice", b.Resource)
		}
		seen[b.Resource] = true
		if b.Fraction < 0 || b.Fraction > 1 || (b.Fraction == 0 && b.Value <= 0) {
			return fmt.Errorf("compress: budget %s: give a fraction in (0, 1] or a positive figure", b)
		}
	}
	if c.Parallel != nil && (c.Resume == nil || (c.Resume.After != StagePrune && c.Resume.After != StageFinetune)) {
		return fmt.Errorf("compress: a data-parallel pipeline trains: it resumes after the prune stage, which runs once, or after the fine-tune")
	}
	if r := c.Resume; r != nil {
		if r.Model == nil || !slices.Contains(Stages[:3], r.After) {
			return fmt.Errorf("compress: resume needs a model and the stage it finished (prune, finetune or quantize)")
		}
	}
	return nil
}
