package main

import (
	"context"

	"github.com/pare-ml/pare/core/train"
)

// maxWorkers bounds a data-parallel fine-tune: browsers give a page a
// handful of cores, and each worker holds its own copy of the model and
// images.
const maxWorkers = 16

// FinetuneShardRequest makes this worker worker Rank of Workers of a
// data-parallel fine-tune (www/js/parallel.js starts one per worker, each
// with the same model, images and options): each computes the gradients of
// its share of every batch, and the page's main thread sums them (the
// exchange of Run) before every worker takes the same step, so the tuned
// model equals a one-worker Finetune's to float rounding.
type FinetuneShardRequest struct {
	FinetuneRequest
	Run     int `json:"run"`
	Rank    int `json:"rank"`
	Workers int `json:"workers"`
}

// shardReducer makes the Reducer of exchange run and a function that
// releases it; the browser build sets it (finetune_parallel_js.go), and
// tests set in-process ones.
var shardReducer func(run int) (train.Reducer, func())

// FinetuneShard runs this worker's part of a data-parallel fine-tune. The
// reply is Finetune's; every worker's tuned model has the same bytes.
func (s *Service) FinetuneShard(ctx context.Context, req FinetuneShardRequest, progress Progress) (Reply, error) {
	if req.Workers < 1 || req.Workers > maxWorkers || req.Rank < 0 || req.Rank >= req.Workers {
		return Reply{}, userErrorf("bad-request", "worker %d of %d: give 1 to %d workers and a rank below their number", req.Rank, req.Workers, maxWorkers)
	}
	if shardReducer == nil {
		return Reply{}, userErrorf("bad-request", "data-parallel fine-tuning runs in the page's workers only")
	}
	reduce, release := shardReducer(req.Run)
	defer release()
	par := &train.Parallel{Rank: req.Rank, Workers: req.Workers, Reduce: reduce}
	req.FinetuneRequest.parallel = par
	return s.Finetune(ctx, req.FinetuneRequest, progress)
}
