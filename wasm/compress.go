package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pare-ml/pare/compress"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// CompressRequest asks for `pare compress` on the open model and data with
// the CLI's defaults (the exact solver for 10 s, L1 importance, a
// distilled fine-tune with keep-best, progressive QIL with the first and
// last layers in float), one stage at a time: the request runs the
// pipeline up to and including Until and replies with that stage's model,
// so the page can store every finished stage and resume after a reload.
// A resumed request gives the same result as one uninterrupted run, since
// every batch depends only on the seed, the epoch and the step.
type CompressRequest struct {
	// Budgets cap the pruned model; none quantizes only, as pare compress
	// without --budget: the prune and fine-tune stages are skipped (each
	// still a request, replying with the model it was given).
	Budgets []PruneRequest `json:"budgets"`
	// MinKeep is the share of every prunable channel group pruning keeps
	// (absent: qcqp.DefaultMinKeep, lowered as far as the budget needs, as
	// pare compress --min-keep auto; 0: one channel).
	MinKeep *float64 `json:"minKeep,omitempty"`
	// Bits are weight/activation bits ("4/4", the default).
	Bits string `json:"bits"`
	// Storage is "int8" (default) or "int4".
	Storage string `json:"storage"`
	// NoDistill fine-tunes on the labels alone.
	NoDistill bool `json:"noDistill"`
	// FinetuneEpochs is 0 for the CLI's choice (enough epochs for
	// compress.MinFinetuneSteps steps).
	FinetuneEpochs int `json:"finetuneEpochs"`
	// The QIL knobs of pare compress: Schedule "progressive" (default) or
	// "direct", QILEpochs per stage (0: 1), QuantizerOnly, LayerBits
	// ("NAME=3/3,...") and KeepFP ("first,last" when empty, or "none").
	Schedule      string `json:"schedule"`
	QILEpochs     int    `json:"qilEpochs"`
	QuantizerOnly bool   `json:"quantizerOnly"`
	LayerBits     string `json:"layerBits"`
	KeepFP        string `json:"keepFP"`
	// Until is the last stage this request runs ("": to the end).
	Until compress.Stage `json:"until"`
	// Resume continues after a stage an earlier request finished; its
	// model is the request's one file.
	Resume *CompressResume `json:"resume"`
	// Workers above 1 makes this request worker Rank of a data-parallel
	// training stage (www/js/parallel.js sends the same request to every
	// worker, with the exchange Run): the fine-tune (resumed after prune,
	// until finetune) or QIL (resumed after the fine-tune, until
	// quantize), and every worker replies with the same model.
	Run     int `json:"run"`
	Rank    int `json:"rank"`
	Workers int `json:"workers"`
}

// CompressResume is a finished stage given back: its name and the report
// as it was then (the model goes as the request's file).
type CompressResume struct {
	After  compress.Stage   `json:"after"`
	Report *compress.Report `json:"report"`
}

// CompressProgress is one pipeline step as the page sees it: the job's
// progress (Stage names the stage, Figures its figures) and the sub-step
// under way ("solve", "train", "validate", ...).
type CompressProgress struct {
	job.Progress
	Doing string `json:"doing"`
	// Live is what the live view shows of the step (nil: nothing new).
	Live *CompressLive `json:"live,omitempty"`
}

// CompressResult is a request's outcome: the stage it finished and the
// report so far; the stage's model (for evaluate, the exported file) goes
// as the reply's blob.
type CompressResult struct {
	Stage  compress.Stage   `json:"stage"`
	Done   bool             `json:"done"`
	Report *compress.Report `json:"report"`
}

// Compress runs the compression pipeline (compress.Pipeline, the same
// stepper `pare compress` drives) on a copy of the open model and the open
// images, up to req.Until.
func (s *Service) Compress(ctx context.Context, req CompressRequest, files []File, send func(any)) (Reply, error) {
	if s.model == nil {
		return Reply{}, userErrorf("no-model", "Open a model first.")
	}
	if s.data == nil {
		return Reply{}, userErrorf("no-data", "Open labelled images first: fine-tuning and QIL learn from them.")
	}
	cfg, err := s.compressConfig(req, files)
	if err != nil {
		return Reply{}, err
	}
	if req.Workers > 1 {
		if !trainingStage(req.Until, cfg.Resume) || req.Workers > maxWorkers || req.Rank < 0 || req.Rank >= req.Workers {
			return Reply{}, userErrorf("bad-request", "worker %d of %d: a data-parallel request runs one training stage alone, the fine-tune after prune or the quantization after the fine-tune, on 2 to %d workers", req.Rank, req.Workers, maxWorkers)
		}
		if shardReducer == nil {
			return Reply{}, userErrorf("bad-request", "data-parallel training runs in the page's workers only")
		}
		reduce, release := shardReducer(req.Run)
		defer release()
		cfg.Parallel = &train.Parallel{Rank: req.Rank, Workers: req.Workers, Reduce: reduce}
	}
	p, err := compress.New(cfg)
	if err != nil {
		return Reply{}, userErrorf("cannot-compress", "%s", strings.TrimPrefix(err.Error(), "compress: "))
	}
	until := req.Until
	if until == "" {
		until = compress.StageEvaluate
	}
	live := newLiveFeed(s.liveNow)
	for !p.Done() {
		pr, err := p.Step(ctx)
		if err != nil {
			return Reply{}, compressError(err)
		}
		if send != nil {
			pr.Figures = finiteFigures(pr.Figures)
			send(CompressProgress{Progress: pr, Doing: p.Doing(), Live: live.next(p, pr.Figures["stage_done"] == 1)})
		}
		if pr.Figures["stage_done"] == 1 && p.Finished() == until {
			break
		}
	}
	out, err := stageBytes(p, until)
	if err != nil {
		return Reply{}, err
	}
	return Reply{Value: &CompressResult{Stage: until, Done: p.Done(), Report: p.Report()}, Blob: out}, nil
}

// trainingStage reports whether a request resumed at r and run until
// stage runs one training stage alone, as a data-parallel request must:
// the other stages run once, in one worker.
func trainingStage(until compress.Stage, r *compress.Resume) bool {
	switch {
	case r == nil:
		return false
	case until == compress.StageFinetune:
		return r.After == compress.StagePrune
	case until == compress.StageQuantize:
		return r.After == compress.StageFinetune
	}
	return false
}

// compressConfig is the pipeline of a request, checked.
func (s *Service) compressConfig(req CompressRequest, files []File) (compress.Config, error) {
	budgets := make([]qcqp.Budget, 0, len(req.Budgets))
	var latency *qcqp.LatencyBudget
	for _, b := range req.Budgets {
		if b.Resource == "latency" {
			if b.LatencyModel != nil {
				s.latency = b.LatencyModel
			}
			if s.latency == nil {
				return compress.Config{}, userErrorf("no-latency-model", "A latency budget needs this model's latency measured in this browser first: press Calibrate in the Prune tab.")
			}
			latency = &qcqp.LatencyBudget{Seconds: b.Value, Fraction: b.Fraction}
			if err := latency.Check(); err != nil {
				return compress.Config{}, userErrorf("bad-budget", "Give a latency budget: a share above 0 and at most 100 %% of the model's, or a time above 0.")
			}
			continue
		}
		bb, err := b.budget()
		if err != nil {
			return compress.Config{}, err
		}
		budgets = append(budgets, bb)
	}
	if req.Bits == "" {
		req.Bits = "4/4"
	}
	bits, err := qil.ParseBits(req.Bits)
	if err != nil {
		return compress.Config{}, userErrorf("bad-request", "bits %q: %v", req.Bits, err)
	}
	quant, err := req.quantizeConfig(bits)
	if err != nil {
		return compress.Config{}, err
	}
	storage := qil.Storage(req.Storage)
	if storage == "" {
		storage = qil.StorageInt8
	}
	if req.FinetuneEpochs < 0 || req.FinetuneEpochs > 100 {
		return compress.Config{}, userErrorf("bad-request", "fine-tune epochs %d: give 0 (chosen) to 100", req.FinetuneEpochs)
	}
	if req.Until != "" && !slices.Contains(compress.Stages, req.Until) {
		return compress.Config{}, userErrorf("bad-request", "stage %q: want one of %v", req.Until, compress.Stages)
	}
	if k := req.MinKeep; k != nil && (math.IsNaN(*k) || *k < 0 || *k > 1) {
		return compress.Config{}, userErrorf("bad-min-keep", "The share each layer keeps must be between 0 and 100 %%.")
	}
	cfg := compress.Config{Model: s.model, Budgets: budgets, Latency: latency, LatencyModel: s.latency, SolverTime: pruneTimeLimit,
		MinKeep: req.MinKeep, Train: s.data, Preprocess: s.preprocess, Seed: 1,
		NoDistill: req.NoDistill,
		Quantize:  quant,
		Storage:   storage}
	if req.FinetuneEpochs > 0 {
		cfg.Finetune = train.FinetuneDefaults()
		cfg.Finetune.Epochs = req.FinetuneEpochs
	}
	if r := req.Resume; r != nil {
		if len(files) != 1 {
			return compress.Config{}, userErrorf("bad-request", "resuming after %s needs that stage's model as the one file", r.After)
		}
		if len(files[0].Bytes) > maxModelBytes {
			return compress.Config{}, userErrorf("too-large", "The stored %s model is %d bytes, more than the page opens.", r.After, len(files[0].Bytes))
		}
		m, err := onnx.Decode(files[0].Bytes)
		if err != nil {
			return compress.Config{}, userErrorf("bad-resume", "The stored %s model does not decode (%v); start the compression again.", r.After, err)
		}
		cfg.Resume = &compress.Resume{After: r.After, Model: m, Report: r.Report}
	}
	return cfg, nil
}

// stageBytes encodes a finished stage's model: for evaluate, the exported
// file that was measured and evaluated.
func stageBytes(p *compress.Pipeline, s compress.Stage) ([]byte, error) {
	if s == compress.StageEvaluate {
		return p.Output(), nil
	}
	name := map[compress.Stage]string{compress.StagePrune: "pruned", compress.StageFinetune: "finetuned", compress.StageQuantize: "quantized"}[s]
	m := p.Model(name)
	if m == nil {
		return nil, fmt.Errorf("the %s stage left no model (a bug in pare; please report it)", s)
	}
	return onnx.Encode(m)
}

// compressError turns a pipeline error into what the page shows.
func compressError(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return errCancelled
	case errors.Is(err, qcqp.ErrInfeasible):
		return userErrorf("unreachable-budget", "%s. Raise the budget.", strings.TrimPrefix(err.Error(), "compress: "))
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	return userErrorf("compress-failed", "Compression stopped: %s", strings.TrimPrefix(err.Error(), "compress: "))
}

// quantizeConfig is the request's QIL configuration, read as pare
// compress reads its flags, so that the page and the CLI give the same
// file for the same choices.
func (req *CompressRequest) quantizeConfig(bits qil.Bits) (qil.Config, error) {
	cfg := qil.Config{Options: qil.Options{Bits: bits}, Schedule: req.Schedule, Epochs: req.QILEpochs, QuantizerOnly: req.QuantizerOnly, Seed: 1}
	switch {
	case req.Schedule != "" && req.Schedule != "progressive" && req.Schedule != "direct":
		return cfg, userErrorf("bad-request", "schedule %q: want progressive or direct", req.Schedule)
	case req.QILEpochs < 0 || req.QILEpochs > 20:
		return cfg, userErrorf("bad-request", "QIL epochs per stage %d: give 1 to 20", req.QILEpochs)
	}
	lb, err := qil.ParseLayerBits(req.LayerBits)
	if err != nil {
		return cfg, userErrorf("bad-layer-bits", "Layer bits: %v.", err)
	}
	cfg.LayerBits = lb
	if req.KeepFP != "" {
		cfg.KeepFP = qil.ParseKeepFP(req.KeepFP)
	}
	return cfg, nil
}
