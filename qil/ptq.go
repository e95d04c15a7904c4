package qil

import (
	"context"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
)

// PTQ is the baseline QIL must beat: post-training min-max quantization
// at the same bit widths and of the same layers, with no training.
// Weights are quantized symmetrically per output channel (scale =
// max|w| / (2^(N-1)-1)); each layer's input per tensor over [0, max] (or
// [-max|x|, max|x|] when it can be negative), max taken over the
// calibration images. The result is the exported QDQ model itself.
func PTQ(ctx context.Context, m *onnx.Model, data *train.Loader, opt Options, calibrationImages int, storage Storage) (*onnx.Model, []*Layer, error) {
	return ptq(ctx, m, data, opt, calibrationImages, &emitter{storage: storage})
}

// ptq is PTQ writing through e (e.m is set here).
func ptq(ctx context.Context, m *onnx.Model, data *train.Loader, opt Options, calibrationImages int, e *emitter) (*onnx.Model, []*Layer, error) {
	if data == nil || data.Set == nil || data.Len() == 0 {
		return nil, nil, fmt.Errorf("qil: no calibration data: min-max quantization of activations needs images (--data)")
	}
	if calibrationImages <= 0 {
		calibrationImages = 512
	}
	layers, err := planLayers(m, opt)
	if err != nil {
		return nil, nil, err
	}
	calib := &train.Loader{Set: data.Set, Preprocess: data.Preprocess, BatchSize: 64}
	n := min(calibrationImages, data.Set.N())
	calib.Indices = make([]int, n)
	for i := range calib.Indices {
		calib.Indices[i] = i * data.Set.N() / n
	}
	stats, _, err := collectStats(ctx, m, layers, calib) // min-max reads no labels
	if err != nil {
		return nil, nil, err
	}
	out, err := clone(m)
	if err != nil {
		return nil, nil, err
	}
	g, err := graphOf(out)
	if err != nil {
		return nil, nil, err
	}
	byLabel := map[string]*onnx.Node{}
	for _, nd := range out.Graph.Node {
		byLabel[nodeName(nd)] = nd
	}
	e.m = out
	for _, l := range layers {
		if !l.Quantized() {
			continue
		}
		nd := byLabel[l.Node]
		w, err := constantValue(out, g, l.weight)
		if err != nil || w == nil {
			return nil, nil, fmt.Errorf("qil: the weight of %s is not a constant", l.Node)
		}
		s := stats[l]
		if l.Signed && g.Producer(l.input) == nil && s.min >= 0 {
			l.Signed = false
		}
		l.PerChannel = true
		axis := outputAxis(nd, len(w.Shape))
		levels, scales := perChannel(w.F32, w.Shape, axis, weightSteps(l.Bits.W))
		nm := namesFor(l)
		e.weight(nm.wq, w.Shape, levels, scales, axis, l.Bits.W)
		width := float32(s.max)
		if l.Signed {
			width = float32(max(s.max, -s.min))
		}
		if !(width > 0) {
			width = 1
		}
		e.act(nd.Input[0], nm.xq, newActGrid(width/2, width/2, actSteps(l.Bits.A, l.Signed)), l.Signed)
		nd.Input[0], nd.Input[1] = nm.xq, nm.wq
	}
	if err := e.finish(nil, recipe("min-max PTQ", layers, e.storage)); err != nil {
		return nil, nil, err
	}
	return out, layers, nil
}

// outputAxis is the axis of a layer's weight that indexes output channels.
func outputAxis(n *onnx.Node, rank int) int {
	switch n.OpType {
	case "Gemm":
		if n.AttrInt("transB", 0) != 0 {
			return 0
		}
		return 1
	case "MatMul":
		return rank - 1
	}
	return 0
}

// perChannel quantizes w symmetrically with one scale per index of axis.
func perChannel(w []float32, shape []int, axis, q int) ([]int8, []float32) {
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	dim := shape[axis]
	ch := func(i int) int { return (i / inner) % dim }
	peak := make([]float64, dim)
	for i, v := range w {
		peak[ch(i)] = max(peak[ch(i)], math.Abs(float64(v)))
	}
	scales := make([]float32, dim)
	for c, p := range peak {
		scales[c] = float32(p / float64(q))
		if scales[c] == 0 {
			scales[c] = 1 // an all-zero channel: any scale is exact
		}
	}
	levels := make([]int8, len(w))
	for i, v := range w {
		k := math.RoundToEven(float64(v / scales[ch(i)]))
		levels[i] = int8(min(max(k, -float64(q)), float64(q)))
	}
	return levels, scales
}

// recipe describes a quantization for metadata_props.
func recipe(method string, layers []*Layer, storage Storage) string {
	s := fmt.Sprintf("method=%s; storage=%s; tool=pare", method, storage)
	for _, l := range layers {
		s += fmt.Sprintf("; %s=%s", l.Node, l.Bits)
	}
	return s
}

// Accuracy is the top-1 accuracy of m on data.
func Accuracy(ctx context.Context, m *onnx.Model, data *train.Loader) (float64, error) {
	net, err := train.NewNet(m, train.NetOptions{})
	if err != nil {
		return 0, err
	}
	acc, _, err := train.Evaluate(ctx, net, data)
	return acc, err
}
