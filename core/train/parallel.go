package train

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/tensor"
)

// Reducer sums buffers across the workers of a data-parallel run: every
// worker calls AllReduce with buffers of the same lengths, in the same
// order of calls, and each gets back the elementwise sums over all
// workers, with the same bits on every worker (the sums are computed once,
// in rank order, and handed to all), so the workers' weights stay equal.
// It returns an error when the run is cancelled or another worker failed.
type Reducer interface {
	AllReduce(ctx context.Context, f32 []float32, f64 []float64) error
}

// Parallel makes a training job one worker of a data-parallel run of
// Workers workers (Setup.Parallel). Each step, worker Rank takes a
// contiguous share of the global batch (the batch a one-worker run takes),
// computes the gradient of the global loss on it, and one AllReduce per
// step sums every parameter's gradient (one flat buffer, laid out once)
// and the batch's loss and accuracy; every worker then takes the same
// optimizer step. BatchNormalization in training mode uses the statistics
// of the whole global batch (a sync-BN: one AllReduce per BN layer in the
// forward pass and one in the backward). Validation is sharded too and its
// score summed, so keep-best and the divergence guard decide alike on
// every worker. The result equals a one-worker run's to float rounding
// (summation order); docs/training.md measures how close. Dropout masks
// are drawn per worker and so differ from a one-worker run's.
type Parallel struct {
	Rank, Workers int
	Reduce        Reducer

	grads    []float32 // every parameter's gradient, Param.Grad aliases it
	stats    [3]float64
	valTotal int
}

// ValImages is the number of validation images of the whole run (each
// worker validates its share).
func (p *Parallel) ValImages() int { return p.valTotal }

// GradBytes is the size of the gradient buffer exchanged every step.
func (p *Parallel) GradBytes() int { return 4 * len(p.grads) }

// bind shards plan's loaders, lays the gradients out in one buffer and
// turns on the sync-BN.
func (p *Parallel) bind(plan *Plan) error {
	if err := p.Bind(plan.Net, plan.Train); err != nil {
		return err
	}
	if v := plan.Val; v != nil {
		idx := v.indices()
		if len(idx) < p.Workers {
			return fmt.Errorf("train: %d validation images cannot be shared by %d workers; use fewer workers", len(idx), p.Workers)
		}
		p.valTotal = len(idx)
		lo, hi := shardRange(len(idx), p.Rank, p.Workers)
		plan.Val = &Loader{Set: v.Set, Indices: idx[lo:hi], Preprocess: v.Preprocess, BatchSize: v.BatchSize}
	}
	return nil
}

// Bind makes net and its training loader tr this worker's part of the
// run, for a training loop built without Prepare (QIL's stages, each a
// Trainer over one net): it shards tr's batches (in place: give it a copy
// to keep the whole), lays net's gradients out in the one buffer the
// exchange sends, and, unless net's BatchNormalization is frozen, turns
// on the sync-BN, which a BNRecalibration of net over tr uses too. Give
// the Parallel to every Trainer of net (Config.Parallel). Bind a net
// once, before its first step.
func (p *Parallel) Bind(net *Net, tr *Loader) error {
	if p.Workers < 1 || p.Rank < 0 || p.Rank >= p.Workers {
		return fmt.Errorf("train: worker %d of %d does not exist", p.Rank, p.Workers)
	}
	if p.Reduce == nil {
		return fmt.Errorf("train: a data-parallel worker needs a Reducer")
	}
	if tr == nil || tr.Steps() == 0 {
		return fmt.Errorf("train: no training batches to share between workers")
	}
	smallest := tr.BatchSize
	if last := tr.Len() - (tr.Steps()-1)*tr.BatchSize; !tr.DropLast && last < smallest {
		smallest = last
	}
	if smallest < p.Workers {
		return fmt.Errorf("train: a batch of %d images cannot be shared by %d workers; use fewer workers", smallest, p.Workers)
	}
	tr.Shard, tr.Shards = p.Rank, p.Workers
	// One buffer for every parameter (frozen ones too: freezing one later
	// only zeroes its part), so the exchange is a single copy each way.
	size := 0
	for _, prm := range net.Params {
		size += len(prm.Grad.F32)
	}
	p.grads = make([]float32, size)
	off := 0
	for _, prm := range net.Params {
		n := len(prm.Grad.F32)
		prm.Grad = &tensor.Tensor{DType: tensor.Float32, Shape: prm.Grad.Shape, F32: p.grads[off : off+n : off+n]}
		off += n
	}
	if !net.opt.FreezeBatchNorm {
		net.sync = &bnSync{reduce: p.Reduce}
	}
	return nil
}

// shardRange is worker k's part [lo, hi) of n items split W ways, the
// first n mod W workers taking one more.
func shardRange(n, k, w int) (lo, hi int) {
	base, extra := n/w, n%w
	lo = k*base + min(k, extra)
	hi = lo + base
	if k < extra {
		hi++
	}
	return lo, hi
}

// shardStep is what one data-parallel training step computed.
type shardStep struct {
	pass    *Pass
	loss    float64 // of the global batch; NaN when any worker's was not finite
	correct int
	images  int
}

// trainStep runs the forward and backward passes on this worker's share
// (x, labels) of a global batch of global images and sums the gradients
// and the batch statistics over the workers. A share whose loss is not
// finite still takes part in every exchange (with zero gradients), so the
// other workers are not left waiting; the summed loss is NaN then.
func (p *Parallel) trainStep(ctx context.Context, net *Net, lossFn LossFunc, x *tensor.Tensor, labels []int, global int) (shardStep, error) {
	if net.sync != nil {
		net.sync.ctx = ctx
	}
	pass, err := net.ForwardContext(ctx, map[string]*tensor.Tensor{net.InputNames()[0]: x}, ModeTrain)
	if err != nil {
		return shardStep{}, err
	}
	loss, dLogits, correct, err := lossFn(ctx, x, labels, pass.Logits())
	finite := err == nil && !math.IsNaN(loss) && !math.IsInf(loss, 0)
	if err != nil && !errors.Is(err, ErrNotFinite) {
		return shardStep{}, err
	}
	if finite {
		// The loss is the mean over the share; its gradient scaled by
		// share/global is the global mean's, row for row.
		s := float32(len(labels)) / float32(global)
		for i := range dLogits.F32 {
			dLogits.F32[i] *= s
		}
	} else {
		dLogits = tensor.New(tensor.Float32, pass.Logits().Shape)
		loss = math.NaN()
	}
	if err := net.Backward(pass, dLogits); err != nil {
		return shardStep{}, err
	}
	p.stats = [3]float64{loss * float64(len(labels)), float64(correct), float64(len(labels))}
	if err := p.Reduce.AllReduce(ctx, p.grads, p.stats[:]); err != nil {
		return shardStep{}, err
	}
	return shardStep{pass: pass, loss: p.stats[0] / p.stats[2], correct: int(p.stats[1]), images: int(p.stats[2])}, nil
}

// meanOver sums a weighted sum and its count over the workers.
func (p *Parallel) meanOver(ctx context.Context, sum float64, n int) (float64, error) {
	b := []float64{sum, float64(n)}
	if err := p.Reduce.AllReduce(ctx, nil, b); err != nil {
		return 0, err
	}
	return b[0] / b[1], nil
}

// score sums this worker's validation result over the workers.
func (p *Parallel) score(ctx context.Context, r *eval.Result) (Score, error) {
	b := []float64{float64(r.Correct), r.Loss() * float64(r.Count), float64(r.Count)}
	if err := p.Reduce.AllReduce(ctx, nil, b); err != nil {
		return Score{}, err
	}
	return Score{Accuracy: b[0] / b[2], Loss: b[1] / b[2], Images: int(b[2])}, nil
}

// bnSync makes training-mode BatchNormalization use the statistics of the
// global batch: the per-channel sums of the forward pass (x and x²) and of
// the backward pass (dy and dy·x̂) are summed over the workers.
type bnSync struct {
	reduce Reducer
	ctx    context.Context // of the step running
}

// moments sums a share's per-channel moments and element count.
func (s *bnSync) moments(moments []float64, count float64) (float64, error) {
	b := make([]float64, len(moments)+1)
	copy(b, moments)
	b[len(moments)] = count
	if err := s.reduce.AllReduce(s.ctx, nil, b); err != nil {
		return 0, err
	}
	copy(moments, b)
	return b[len(moments)], nil
}

// gradSums sums a share's per-channel gradient sums into a new slice.
func (s *bnSync) gradSums(sums []float64) ([]float64, error) {
	b := append([]float64(nil), sums...)
	return b, s.reduce.AllReduce(s.ctx, nil, b)
}
