package compress

import (
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// Watch is what a view of the run can show of the work under way, for a
// person watching it (the page's live view). Read it between Steps,
// never during one; nothing in it may be changed.
type Watch struct {
	// Analysis and Selection are prune's channel analysis and the
	// solver's incumbent, from the search's first selection on (nil
	// before, and when the pipeline resumed after prune); they stay once
	// the search has ended.
	Analysis  *qcqp.Analysis
	Selection *qcqp.Selection
	// Trained counts the batches this pipeline has trained (fine-tune and
	// QIL); Train is the last Step's batch, nil when that Step trained
	// none (the search, a validation, the learning-rate probe, ...).
	Trained int
	Train   *TrainStep
	// QIL is the quantization run, from its calibration on: its layers
	// and the intervals it trains (qil.Run's Intervals and Weights).
	QIL *qil.Run
}

// TrainStep is one trained batch.
type TrainStep struct {
	Stage Stage `json:"stage"`
	// Step counts this pipeline's trained batches from 1, across the
	// fine-tune and QIL.
	Step int `json:"step"`
	// Loss is the batch's loss; Accuracy the share of the epoch's images
	// so far that the net classified right as it trained on them.
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
}

// Watch returns the view of the work under way.
func (p *Pipeline) Watch() Watch {
	w := Watch{Analysis: p.watch.analysis, Trained: p.watch.trained, Train: p.watch.train, QIL: p.watch.qil}
	if s := p.watch.solver; s != nil {
		w.Selection = s.Result().Selection
	}
	return w
}

// watched is what Watch reads, set as the stages run.
type watched struct {
	analysis *qcqp.Analysis
	solver   *qcqp.Solver
	qil      *qil.Run
	trained  int
	train    *TrainStep
}

// finetuneBatch reads a trained batch from a fine-tune step: the Fit
// passes its Trainer's progress through (stage "train", the batch's loss
// as "batch_loss"); its probe, recalibration and validation steps have
// stages of their own.
func finetuneBatch(sub job.Progress) (loss, acc float64, ok bool) {
	if sub.Stage != "train" {
		return 0, 0, false
	}
	return sub.Figures["batch_loss"], sub.Figures["accuracy"], true
}

// qilBatch reads a trained batch from a QIL step: every step trains one
// ("loss" is the batch's).
func qilBatch(sub job.Progress) (loss, acc float64, ok bool) {
	return sub.Figures["loss"], sub.Figures["accuracy"], true
}
