package qcqp

import (
	"context"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// NormTaylor scores a slice by the first-order Taylor estimate of the loss
// change when it is removed: |sum over the slice of w * dL/dw|, with the
// gradient averaged over a few labelled batches.
const NormTaylor Norm = "taylor"

// TaylorLayers scores every layer by first-order Taylor importance from the
// gradients of the cross-entropy loss on batches mini-batches of data
// (inference-mode batch norm, as the pruned model will run). It then
// applies the same BN scaling and per-layer normalisation as Layers.
func (a *Analysis) TaylorLayers(ctx context.Context, data *train.Loader, batches int) ([]Layer, error) {
	net, err := train.NewNet(a.Model, train.NetOptions{})
	if err != nil {
		return nil, fmt.Errorf("qcqp: Taylor importance needs a trainable model: %w", err)
	}
	if batches < 1 || data == nil || data.Steps() == 0 {
		return nil, fmt.Errorf("qcqp: Taylor importance needs at least one batch of labelled data")
	}
	batches = min(batches, data.Steps())
	grads := map[string][]float64{}
	for k := range a.layers {
		w := a.layers[k].weight
		if net.Param(w) == nil {
			return nil, fmt.Errorf("qcqp: weight %s is not a trainable parameter", w)
		}
		grads[w] = make([]float64, len(net.Param(w).Value.F32))
	}
	input := net.InputNames()[0]
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x, labels, err := data.Batch(0, b)
		if err != nil {
			return nil, err
		}
		pass, err := net.ForwardContext(ctx, map[string]*tensor.Tensor{input: x}, train.ModeEval)
		if err != nil {
			return nil, err
		}
		_, dLogits, _, err := train.SoftmaxCrossEntropy(pass.Logits(), labels)
		if err != nil {
			return nil, err
		}
		if err := net.Backward(pass, dLogits); err != nil {
			return nil, err
		}
		for w, acc := range grads {
			for i, g := range net.Param(w).Grad.F32 {
				acc[i] += float64(g) / float64(batches)
			}
		}
	}
	nonzero := false
	for _, acc := range grads {
		for _, g := range acc {
			nonzero = nonzero || g != 0
		}
	}
	if !nonzero {
		return nil, fmt.Errorf("qcqp: the loss has no gradient on these %d batches (the model is sure and right on every image, so its softmax saturates); use more batches or the weights' norm (l1)", batches)
	}
	return a.layersFrom(func(rec *layerRec) ([]float32, error) {
		w := net.Param(rec.weight).Value.F32
		g := grads[rec.weight]
		v := make([]float32, len(w))
		for i := range w {
			v[i] = float32(float64(w[i]) * g[i])
		}
		return v, nil
	}, NormTaylor)
}

// taylorSlices sums the signed products per slice and takes the magnitude:
// removing the slice changes the loss by about minus that sum.
func taylorSlices(imp []float64) {
	for i, v := range imp {
		imp[i] = math.Abs(v)
	}
}
