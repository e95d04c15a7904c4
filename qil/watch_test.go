package qil

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// The views of a run under way read the values training moves: after a
// few steps they equal what Model writes back, and they differ from the
// calibrated start.
func TestWatchReadsTheTrainingIntervalsAndWeights(t *testing.T) {
	m, data := smallMnist(t, 256)
	run, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: Bits{4, 4}}, Schedule: "direct", CalibrationImages: 64, IntervalLR: 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	start := map[*Layer]Intervals{}
	var float []*Layer
	quantized := 0
	for _, l := range run.Layers() {
		iv, ok := run.Intervals(l)
		if ok != l.Quantized() {
			t.Fatalf("%s: Intervals ok = %v, quantized %v", l.Node, ok, l.Quantized())
		}
		if !ok {
			float = append(float, l)
			continue
		}
		quantized++
		// Calibration: nothing pruned (c = d), gamma 1.
		if iv.WC != iv.WD || iv.WD <= 0 || iv.Gamma != 1 || iv.XC != iv.XD || iv.XD <= 0 {
			t.Errorf("%s: calibrated intervals %+v, want c = d > 0 and gamma 1", l.Node, iv)
		}
		start[l] = iv
	}
	if quantized == 0 {
		t.Fatal("no quantized layer")
	}
	for range 3 {
		if _, err := run.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	qm, err := run.Model()
	if err != nil {
		t.Fatal(err)
	}
	inits := map[string]*onnx.Tensor{}
	for _, init := range qm.Graph.Initializer {
		inits[init.Name] = init
	}
	value := func(name string) []float32 {
		t.Helper()
		init := inits[name]
		if init == nil {
			t.Fatalf("the QIL form has no initializer %s", name)
		}
		v, err := tensor.FromONNX(init)
		if err != nil {
			t.Fatal(err)
		}
		return v.F32
	}
	moved := false
	for l, before := range start {
		iv, _ := run.Intervals(l)
		nm := namesFor(l)
		want := Intervals{WC: value(nm.wc)[0], WD: value(nm.wd)[0], Gamma: value(nm.wg)[0], XC: value(nm.xc)[0], XD: value(nm.xd)[0]}
		if l.PerChannel {
			// The model holds each channel's c and d in units of its
			// unit; the view gives them absolute, and their means.
			c, d, u := value(nm.wc), value(nm.wd), value(nm.wu)
			for k := range u {
				want.Channels = append(want.Channels, ChannelInterval{C: c[k] * u[k], D: d[k] * u[k]})
			}
			want.WC, want.WD = meanInterval(want.Channels)
		}
		if !reflect.DeepEqual(iv, want) {
			t.Errorf("%s: Intervals %+v, the written-back model has %+v", l.Node, iv, want)
		}
		moved = moved || !reflect.DeepEqual(iv, before)
		w := run.Weights(l)
		q := quantizerNodes(qm, run.Layers())[l][0]
		saved := value(q.Input[0])
		if len(w) != len(saved) {
			t.Fatalf("%s: %d watched weights, the model has %d", l.Node, len(w), len(saved))
		}
		for i := range w {
			if w[i] != saved[i] {
				t.Fatalf("%s: weight %d is %g, the model has %g", l.Node, i, w[i], saved[i])
			}
		}
		w[0]++ // a copy: the run's weights stay
		if run.Weights(l)[0] != saved[0] {
			t.Fatalf("%s: writing the returned weights changed the run", l.Node)
		}
	}
	if !moved {
		t.Error("three steps moved no interval")
	}
	if len(float) == 0 {
		t.Fatal("no layer kept in float (first and last by default)")
	}
	// The layers kept in float: their own weights' values, as trained
	// (mnist-8's last weight is a Reshape of an initializer: folded here
	// from the written-back model, compared as the values a histogram
	// counts).
	g, err := graphOf(qm)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range float {
		saved, err := constantValue(qm, g, l.weight)
		if err != nil || saved == nil {
			t.Fatalf("%s: the weight does not fold: %v", l.Node, err)
		}
		w, want := slices.Clone(run.Weights(l)), slices.Clone(saved.F32)
		slices.Sort(w)
		slices.Sort(want)
		if len(w) == 0 || !slices.Equal(w, want) {
			t.Errorf("%s (float): %d watched weights, the model has %d, or they differ", l.Node, len(w), len(want))
		}
	}
}
