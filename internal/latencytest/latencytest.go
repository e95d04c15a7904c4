// Package latencytest gives tests a latency model without timing
// anything: one whose every layer costs what its multiply-adds would, so
// that latency budgets can be checked exactly and quickly.
package latencytest

import (
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// Problem is m's channel-pruning problem with L1 importance and no
// budget: what a test evaluates a latency model on.
func Problem(tb testing.TB, m *onnx.Model) *qcqp.Problem {
	tb.Helper()
	a, err := qcqp.Analyze(m)
	if err != nil {
		tb.Fatal(err)
	}
	layers, err := a.Layers(qcqp.NormL1)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := a.Problem(layers, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Synthetic is a latency model of m in which every layer costs
// 2 µs + 0.01 µs per input channel, per output channel and per product of
// the two, and the network 10 µs: a stand-in for a measured one.
func Synthetic(tb testing.TB, m *onnx.Model) *qcqp.LatencyModel {
	tb.Helper()
	lm := &qcqp.LatencyModel{Runtime: "synthetic", Overhead: 1e-5}
	for _, l := range Problem(tb, m).Layers {
		lm.Layers = append(lm.Layers, qcqp.LayerLatency{Layer: l.Name, A: 2e-6, B: 1e-8, C: 1e-8, D: 1e-8})
	}
	return lm
}
