package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/core/units"
	"github.com/pare-ml/pare/qcqp"
)

// maxFinetuneMemory is what one training step may take in a worker: the
// values kept for the backward pass, the gradients and the weights (see
// maxEvalMemory).
const maxFinetuneMemory = 1024 << 20

// FinetuneRequest asks for the CLI's `pare finetune` on the open model and
// data, with its defaults (train.FinetuneDefaults): the page has no
// hyperparameters to set.
type FinetuneRequest struct {
	// Distill trains against the open model's own softened logits too.
	Distill bool `json:"distill"`
	// Epochs defaults to 1.
	Epochs int `json:"epochs"`
	// parallel makes the run one worker of a data-parallel fine-tune
	// (FinetuneShard).
	parallel *train.Parallel
}

// FinetuneResult is what the page shows of a fine-tune; the tuned model
// goes along as the reply's blob.
type FinetuneResult struct {
	*train.FitResult
	// Cancelled says the user stopped the run and the model returned is
	// the best validated one so far (train.Fit.Stop).
	Cancelled   bool  `json:"cancelled,omitempty"`
	TrainImages int   `json:"trainImages"`
	ValImages   int   `json:"valImages"`
	MemoryBytes int64 `json:"memoryBytes"`
	ModelBytes  int   `json:"modelBytes"`
}

// Finetune fine-tunes a copy of the open model on the open data (a held-out
// tenth validates it, the best validated weights are kept) by driving
// train.Fit one step per Step, reporting each Progress. The open model is
// not changed; the tuned one is returned encoded.
func (s *Service) Finetune(ctx context.Context, req FinetuneRequest, progress Progress) (Reply, error) {
	if s.model == nil {
		return Reply{}, userErrorf("no-model", "Open a model first.")
	}
	if s.data == nil {
		return Reply{}, userErrorf("no-data", "Open labelled images first: fine-tuning learns from them.")
	}
	if req.Epochs < 0 || req.Epochs > 100 {
		return Reply{}, userErrorf("bad-request", "epochs %d: give 1 to 100", req.Epochs)
	}
	raw, err := onnx.Encode(s.model)
	if err != nil {
		return Reply{}, err
	}
	m, err := onnx.Decode(raw) // a copy: the open model and its session stay as they are
	if err != nil {
		return Reply{}, err
	}
	setup := train.Setup{Model: m, Train: s.data, ValFraction: train.DefaultValFraction, Preprocess: s.preprocess, Batch: 64, Seed: 1,
		KeepZeroTaps: qcqp.ShapePruned(m)}
	if len(s.fixedDims) > 0 && s.fixedDims[0] && len(s.inputShape) > 0 && s.inputShape[0] > 0 {
		setup.Batch = s.inputShape[0]
	}
	if setup.Batch < train.SmallBatch {
		setup.Net.FreezeBatchNorm = true
	}
	if req.Distill {
		setup.Distill = &train.DistillOptions{}
	}
	setup.Parallel = req.parallel
	plan, err := train.Prepare(setup)
	if err != nil {
		return Reply{}, userErrorf("cannot-train", "This model cannot be fine-tuned here: %s", strings.TrimPrefix(err.Error(), "train: "))
	}
	if need := plan.Memory.Total(); need > maxFinetuneMemory {
		return Reply{}, &UserError{Code: "out-of-memory", Message: fmt.Sprintf("Fine-tuning this model needs about %s per step, more than a browser worker can use (about %s). Use the pare CLI (pare finetune).", units.Bytes(need), units.Bytes(maxFinetuneMemory))}
	}
	cfg := train.FinetuneDefaults()
	if req.Epochs > 0 {
		cfg.Epochs = req.Epochs
	}
	fit, err := train.NewFit(plan.Net, plan.Options(cfg))
	if err != nil {
		return Reply{}, userErrorf("cannot-train", "%s", strings.TrimPrefix(err.Error(), "train: "))
	}
	cancelled := false
	if err := job.Run(ctx, fit, progress); err != nil {
		if !errors.Is(err, context.Canceled) {
			return Reply{}, userErrorf("train-failed", "Fine-tuning stopped: %s", strings.TrimPrefix(err.Error(), "train: "))
		}
		// A cancelled run still hands back what validation already found
		// better than the open model; with nothing better, it is just
		// cancelled.
		if err := fit.Stop(); err != nil || fit.Result().Kept != train.KeptBest {
			return Reply{}, errCancelled
		}
		cancelled = true
	}
	out, err := onnx.Encode(m)
	if err != nil {
		return Reply{}, err
	}
	res := &FinetuneResult{FitResult: fit.Result(), Cancelled: cancelled, TrainImages: plan.Train.Len(), MemoryBytes: plan.Memory.Total(), ModelBytes: len(out)}
	if plan.Val != nil {
		res.ValImages = plan.Val.Len()
	}
	if plan.Parallel != nil {
		res.ValImages = plan.Parallel.ValImages() // plan.Val is this worker's share
	}
	return Reply{Value: res, Blob: out}, nil
}
