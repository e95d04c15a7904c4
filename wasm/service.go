package main

import (
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// Service is the state of one Go instance: the open model (with its
// session, if every operator is supported) and the open data set.
type Service struct {
	model      *onnx.Model
	graph      *graph.Graph
	session    *exec.Session
	inputName  string
	inputShape []int // with batch 1 where the model leaves it open
	inputDims  []string
	fixedDims  []bool // which input dims the model fixes
	// activationBytes is the activation memory of one image, from the cost
	// analysis: what a batch needs per image while it runs.
	activationBytes int64
	unsupported     *UserError
	nodes           []*onnx.Node // view node id -> node (nil for graph inputs/outputs)

	data       *dataset.Set
	preprocess dataset.Preprocess

	// clock times models for latency models (set once by main); latency
	// is the open model's measured one, if any.
	clock   Clock
	latency *qcqp.LatencyModel
	// liveNow is the clock that spaces the live view's messages (nil:
	// time.Now; tests step it).
	liveNow func() time.Time
}
