package cost_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestChannelsPredictWhatAnalyzeMeasures draws random channel counts for
// every shared model and fixture, removes the channels from a copy of the
// model by slicing its weights (core/edit), and checks that what
// Channels.Predict said is what Analyze measures on the edited file, node
// for node: MACs, parameters, activation and live bytes, output shapes,
// the totals and the peak.
func TestChannelsPredictWhatAnalyzeMeasures(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for _, path := range testmodels.All(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m := testmodels.ReadModel(t, path)
			ch, rep, err := cost.AnalyzeChannels(m, nil, exec.EvalNode)
			if err != nil {
				t.Fatal(err)
			}
			at, err := ch.Predict(ch.Counts())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(at, rep) {
				t.Fatalf("Predict at the model's own counts differs from Analyze:\n%s", firstDifference(at, rep))
			}
			free := 0
			for _, g := range ch.Groups {
				if !g.Fixed {
					free++
				}
			}
			t.Logf("%d groups, %d free, %d layers", len(ch.Groups), free, len(ch.Layers))
			if free == 0 {
				return
			}
			for draw := range 3 {
				n := ch.Counts()
				for i, g := range ch.Groups {
					if !g.Fixed {
						n[i] = 1 + rng.IntN(g.Channels)
					}
				}
				predicted, err := ch.Predict(n)
				if err != nil {
					t.Fatal(err)
				}
				edited := testmodels.ReadModel(t, path)
				keepChannels(t, edited, ch, n)
				measured, err := cost.Analyze(edited, nil, exec.EvalNode)
				if err != nil {
					t.Fatalf("draw %d: the edited model: %v", draw, err)
				}
				for i := range measured.Layers {
					measured.Layers[i].Node = predicted.Layers[i].Node // another decode of the same node
				}
				if !reflect.DeepEqual(predicted, measured) {
					t.Fatalf("draw %d (counts %v): predicted and measured differ:\n%s", draw, n, firstDifference(predicted, measured))
				}
				if !slices.Equal(n, ch.Counts()) && measured.Params == rep.Params {
					t.Errorf("draw %d (counts %v): %d params, as many as the original: nothing was removed", draw, n, measured.Params)
				}
				if draw == 0 {
					t.Logf("MACs %d -> %d, params %d -> %d, peak %d -> %d", rep.MACs, measured.MACs, rep.Params, measured.Params, rep.PeakActivationBytes, measured.PeakActivationBytes)
					runs(t, edited)
				}
			}
		})
	}
}

// keepChannels edits m to keep the first n[g] channels of every group g:
// every initializer axis a group occupies is cut to the kept entries, the
// depthwise convs get the new group count, value_info is refreshed.
func keepChannels(t *testing.T, m *onnx.Model, ch *cost.Channels, n []int) {
	t.Helper()
	type axisKey struct {
		name string
		axis int
	}
	keep := map[axisKey][][2]int{} // ranges [from, to) along the axis
	for gi, g := range ch.Groups {
		for _, s := range g.Tensors {
			k := axisKey{s.Name, s.Axis}
			keep[k] = append(keep[k], [2]int{s.Offset, s.Offset + n[gi]})
		}
	}
	byTensor := map[string][]axisKey{}
	for k := range keep {
		byTensor[k.name] = append(byTensor[k.name], k)
	}
	for name, axes := range byTensor {
		t0 := m.Graph.Initializer[slices.IndexFunc(m.Graph.Initializer, func(x *onnx.Tensor) bool { return x.Name == name })]
		x, err := tensor.FromONNX(t0)
		if err != nil || x.DType != tensor.Float32 {
			t.Fatalf("initializer %s: %v (%v)", name, err, x.DType)
		}
		for _, k := range axes {
			ranges := keep[k]
			slices.SortFunc(ranges, func(a, b [2]int) int { return a[0] - b[0] })
			x = gather(x, k.axis, ranges)
		}
		repl, err := tensor.ToONNX(x, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := edit.ReplaceInitializer(m.Graph, repl); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range ch.Layers {
		if l.Depthwise {
			c := 0
			for _, g := range l.Out {
				c += n[g]
			}
			edit.SetAttr(m.Graph.Node[l.Index], edit.Int("group", int64(c)))
		}
	}
	in, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := graph.InferShapes(m, in, exec.EvalNode)
	if err != nil {
		t.Fatalf("the edited model: %v", err)
	}
	edit.RefreshValueInfo(m.Graph, s)
}

// gather keeps the entries of x along axis that fall in ranges.
func gather(x *tensor.Tensor, axis int, ranges [][2]int) *tensor.Tensor {
	var idx []int
	for _, r := range ranges {
		for i := r[0]; i < r[1]; i++ {
			idx = append(idx, i)
		}
	}
	shape := slices.Clone(x.Shape)
	shape[axis] = len(idx)
	out := tensor.New(tensor.Float32, shape)
	outer := tensor.NumElements(x.Shape[:axis])
	inner := tensor.NumElements(x.Shape[axis+1:])
	k := 0
	for o := range outer {
		for _, i := range idx {
			base := (o*x.Shape[axis] + i) * inner
			k += copy(out.F32[k:], x.F32[base:base+inner])
		}
	}
	return out
}

// runs checks that the edited model is one the executor runs, written and
// read back as a file.
func runs(t *testing.T, m *onnx.Model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "edited.onnx")
	if err := edit.WriteModelFile(path, m, ""); err != nil {
		t.Fatal(err)
	}
	back := testmodels.ReadModel(t, path)
	s, err := exec.NewSession(back)
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := graph.DefaultInputShapes(back, 1)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{}
	for name, shape := range shapes {
		feeds[name] = tensor.New(tensor.Float32, shape)
	}
	if _, err := s.Run(feeds); err != nil {
		t.Fatalf("the edited model does not run: %v", err)
	}
	_ = os.Remove(path)
}

// firstDifference describes the first layer or total where two reports
// differ.
func firstDifference(a, b *cost.Report) string {
	if len(a.Layers) != len(b.Layers) {
		return "layer counts differ"
	}
	for i := range a.Layers {
		x, y := a.Layers[i], b.Layers[i]
		if !reflect.DeepEqual(x, y) {
			x.Node, y.Node = nil, nil
			return "layer " + x.Name + " (" + x.OpType + "):\n  " + describe(x) + "\n  " + describe(y)
		}
	}
	return "totals: " + describe(a.Totals) + " vs " + describe(b.Totals) + ", peak " + describe(a.PeakActivationBytes) + " vs " + describe(b.PeakActivationBytes)
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }

// TestChannelsByHand: x [1,3,8,8] -> Conv 3x3 pad 1 (4 channels, bias) ->
// BatchNormalization -> Relu -> Conv 1x1 (2 channels) -> y. The input and
// the output keep their channels; the 4 in the middle may change.
func TestChannelsByHand(t *testing.T) {
	w := func(name string, dims ...int64) *onnx.Tensor {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		return &onnx.Tensor{Name: name, DataType: onnx.Float, Dims: dims, FloatData: make([]float32, n)}
	}
	m := &onnx.Model{OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Input:  []*onnx.ValueInfo{vi("x", 1, 3, 8, 8)},
		Output: []*onnx.ValueInfo{{Name: "y"}},
		Initializer: []*onnx.Tensor{w("w1", 4, 3, 3, 3), w("b1", 4), w("scale", 4), w("shift", 4), w("mean", 4), w("var", 4),
			w("w2", 2, 4, 1, 1)},
		Node: []*onnx.Node{
			{Name: "conv1", OpType: "Conv", Input: []string{"x", "w1", "b1"}, Output: []string{"c1"}, Attribute: []*onnx.Attribute{edit.Ints("pads", 1, 1, 1, 1)}},
			{Name: "bn", OpType: "BatchNormalization", Input: []string{"c1", "scale", "shift", "mean", "var"}, Output: []string{"b"}},
			{Name: "relu", OpType: "Relu", Input: []string{"b"}, Output: []string{"r"}},
			{Name: "conv2", OpType: "Conv", Input: []string{"r", "w2"}, Output: []string{"y"}},
		},
	}}
	ch, _, err := cost.AnalyzeChannels(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range ch.Groups {
		names = append(names, fmt.Sprintf("%s:%d:%v", g.Name, g.Channels, g.Fixed))
	}
	if want := []string{"x:3:true", "c1:4:false", "y:2:true"}; !slices.Equal(names, want) {
		t.Fatalf("groups %v, want %v", names, want)
	}
	if want := []cost.TensorSlice{{"w1", 0, 0}, {"b1", 0, 0}, {"scale", 0, 0}, {"shift", 0, 0}, {"mean", 0, 0}, {"var", 0, 0}, {"w2", 1, 0}}; !slices.Equal(ch.Groups[1].Tensors, want) {
		t.Errorf("group c1 lives in %v, want %v", ch.Groups[1].Tensors, want)
	}
	conv1, conv2 := ch.Layers[0], ch.Layers[1]
	// 64 outputs per channel, 9 taps per input channel; weights 9 per
	// pair, bias and the four batch-norm vectors one per channel; output
	// 64 floats per channel.
	for _, c := range []struct {
		what      string
		got, want cost.Poly
	}{
		{"conv1 MACs", conv1.MACs, cost.Poly{{Coef: 576, A: 0, B: 1}}},
		{"conv1 params", conv1.Params, cost.Poly{{Coef: 9, A: 0, B: 1}, {Coef: 5, A: 1, B: -1}}},
		{"conv1 activation bytes", conv1.ActivationBytes, cost.Poly{{Coef: 256, A: 1, B: -1}}},
		{"conv2 MACs", conv2.MACs, cost.Poly{{Coef: 64, A: 1, B: 2}}},
		{"conv2 params", conv2.Params, cost.Poly{{Coef: 1, A: 1, B: 2}}},
		// While conv2 runs: r (256 per channel) and y (2 x 64 floats).
		{"conv2 live bytes", conv2.LiveBytes, cost.Poly{{Coef: 256, A: 1, B: -1}, {Coef: 256, A: 2, B: -1}}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if _, err := ch.Predict([]int{3, 0, 2}); err == nil {
		t.Error("Predict accepted a group of 0 channels")
	}
	if _, err := ch.Predict([]int{2, 4, 2}); err == nil {
		t.Error("Predict accepted a fixed group at another count")
	}
}

// Channels that cannot be followed are pinned, not guessed: an
// initializer sliced for one node but read whole by another, and a value
// whose channel axis meets another axis of a broadcast.
func TestChannelsPinWhatTheyCannotFollow(t *testing.T) {
	f := func(name string, dims ...int64) *onnx.Tensor {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		return &onnx.Tensor{Name: name, DataType: onnx.Float, Dims: dims, FloatData: make([]float32, n)}
	}
	m := &onnx.Model{OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Input:       []*onnx.ValueInfo{vi("x", 1, 3, 4, 4), vi("v", 1, 5)},
		Output:      []*onnx.ValueInfo{{Name: "z"}, {Name: "s"}},
		Initializer: []*onnx.Tensor{f("w1", 4, 3, 1, 1), f("b1", 4), f("w2", 4, 4, 1, 1), f("g", 5, 4)},
		Node: []*onnx.Node{
			{Name: "conv1", OpType: "Conv", Input: []string{"x", "w1", "b1"}, Output: []string{"c"}},
			{Name: "shape", OpType: "Shape", Input: []string{"b1"}, Output: []string{"s"}}, // reads b1 whole
			{Name: "conv2", OpType: "Conv", Input: []string{"c", "w2"}, Output: []string{"d"}},
			{Name: "gemm", OpType: "Gemm", Input: []string{"v", "g"}, Output: []string{"y"}},
			{Name: "add", OpType: "Add", Input: []string{"d", "y"}, Output: []string{"z"}}, // y [1,4] meets W
		},
	}}
	ch, _, err := cost.AnalyzeChannels(m, nil, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range ch.Groups {
		if (g.Name == "c" || g.Name == "y") && !g.Fixed {
			t.Errorf("group %s is free; it cannot change without breaking the model", g.Name)
		}
		t.Logf("%s: %d channels, fixed %v (%s)", g.Name, g.Channels, g.Fixed, g.Reason)
	}
}
