// Package paralleltest is what the data-parallel training tests share:
// running the workers of one group side by side in a process, and
// measuring how far apart the models they end with are.
//
// It imports no training code, so core/train's own tests can use it as
// well as the packages above it (compress, the wasm service).
package paralleltest

import (
	"math"
	"sync"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Run runs work for ranks 0 to workers-1, each on a goroutine of its
// own, and fails tb, naming the worker, once all have returned if any
// failed. A worker's error is passed to stop as it happens (the group's
// Abort): the others are waiting for its gradients, and would wait
// forever.
func Run(tb testing.TB, workers int, stop func(error), work func(rank int) error) {
	tb.Helper()
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := range workers {
		wg.Go(func() {
			if errs[k] = work(k); errs[k] != nil {
				stop(errs[k])
			}
		})
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			tb.Fatalf("worker %d: %v", k, err)
		}
	}
}

// WeightDiff is the largest difference between the float initializers of
// two models of one graph, relative to the largest magnitude in a.
func WeightDiff(a, b *onnx.Model) float64 {
	var d, mx float64
	for i, ia := range a.Graph.Initializer {
		ta, err1 := tensor.FromONNX(ia)
		tb, err2 := tensor.FromONNX(b.Graph.Initializer[i])
		if err1 != nil || err2 != nil || ta.DType != tensor.Float32 {
			continue
		}
		for j := range ta.F32 {
			d = math.Max(d, math.Abs(float64(ta.F32[j])-float64(tb.F32[j])))
			mx = math.Max(mx, math.Abs(float64(ta.F32[j])))
		}
	}
	return d / mx
}
