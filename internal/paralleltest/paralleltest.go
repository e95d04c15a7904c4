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
// two models, relative to the largest magnitude in the ones of a it
// compares. Initializers are
// matched by name, and one that b lacks or holds with another type or
// size is left out: two QIL runs may export graphs that differ by a node
// (an activation interval that ended at c = d needs no Sub, so its
// constant is not written), and the scales they share are what is
// compared.
func WeightDiff(a, b *onnx.Model) float64 {
	inB := make(map[string]*onnx.Tensor, len(b.Graph.Initializer))
	for _, t := range b.Graph.Initializer {
		inB[t.Name] = t
	}
	var d, mx float64
	for _, ia := range a.Graph.Initializer {
		ib, ok := inB[ia.Name]
		if !ok {
			continue
		}
		ta, err1 := tensor.FromONNX(ia)
		tb, err2 := tensor.FromONNX(ib)
		if err1 != nil || err2 != nil || ta.DType != tensor.Float32 || tb.DType != tensor.Float32 || len(ta.F32) != len(tb.F32) {
			continue
		}
		for j := range ta.F32 {
			d = math.Max(d, math.Abs(float64(ta.F32[j])-float64(tb.F32[j])))
			mx = math.Max(mx, math.Abs(float64(ta.F32[j])))
		}
	}
	return d / mx
}
