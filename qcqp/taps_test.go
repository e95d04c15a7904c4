package qcqp

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// tapModels have 3x3 convs (plain and depthwise), residual ties and a
// network input with one channel.
var tapModels = []string{"shared:models/mnist-8.onnx", "resnet20_cifar", "mobilenetv2_035"}

// zeroTapsInOriginal zeroes, in the masked original, the taps ts removed:
// W[j,:,t] of the original filter j behind each kept filter.
func zeroTapsInOriginal(t *testing.T, a *Analysis, sel *Selection, ts *TapSelection, m *onnx.Model) {
	t.Helper()
	s := &surgeon{a: a, sel: sel}
	byWeight := map[string]*TapLayer{}
	for i := range ts.Layers {
		byWeight[ts.Layers[i].Weight] = &ts.Layers[i]
	}
	for i, init := range m.Graph.Initializer {
		tl := byWeight[init.Name]
		if tl == nil || tl.Removed == 0 {
			continue
		}
		var rec *layerRec
		for k := range a.layers {
			if a.layers[k].weight == init.Name {
				rec = &a.layers[k]
			}
		}
		w, err := tensor.FromONNX(init)
		if err != nil {
			t.Fatal(err)
		}
		perFilter := w.Len() / w.Shape[0]
		for f, j := range s.kept(rec.out) {
			for _, tap := range tl.Zeroed[f] {
				for c := 0; c < perFilter/rec.block; c++ {
					w.F32[j*perFilter+c*rec.block+tap] = 0
				}
			}
		}
		if m.Graph.Initializer[i], err = tensor.ToONNX(w, init.Name); err != nil {
			t.Fatal(err)
		}
	}
}

// At 30 and 50 % MACs with kernel-shape granularity: the written file's
// effective MACs equal the tap stage's figure and meet the budget, every
// kept filter keeps a tap, the file equals the masked original with the
// same taps zeroed, and the final objective is at least that of channel
// pruning alone (inflation 1 is among the trials).
func TestShapeGranularityMeetsTheBudget(t *testing.T) {
	for _, name := range tapModels {
		t.Run(name, func(t *testing.T) {
			m := loadPruneModel(t, name)
			a := analyze(t, m)
			layers, err := a.Layers(NormL1)
			if err != nil {
				t.Fatal(err)
			}
			full, err := EffectiveMACs(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, frac := range []float64{0.3, 0.5} {
				res, err := a.SolveShape(context.Background(), layers, []Budget{{Resource: MACs, Fraction: frac}}, Options{TimeLimit: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				ts := res.Taps
				limit := frac * full
				if ts.MACs > limit+0.5 {
					t.Fatalf("%.0f %%: tap stage MACs %.0f over the budget %.0f", 100*frac, ts.MACs, limit)
				}
				if res.Trials[0].Inflation != 1 || res.Trials[0].Objective > ts.Objective {
					t.Errorf("%.0f %%: chosen objective %.6g below channel pruning alone %+v", 100*frac, ts.Objective, res.Trials[0])
				}
				pm, err := a.Prune(res.Channels.Selection, PruneOptions{NoFold: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := ApplyTaps(pm, ts); err != nil {
					t.Fatal(err)
				}
				got, err := EffectiveMACs(pm)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-ts.MACs) > 0.5 {
					t.Errorf("%.0f %%: the written file has %.0f effective MACs, the tap stage said %.0f", 100*frac, got, ts.MACs)
				}
				removed := 0
				for _, tl := range ts.Layers {
					removed += tl.Removed
					for f, z := range tl.Zeroed {
						if len(z) >= tl.Taps {
							t.Fatalf("%s filter %d lost all %d taps", tl.Node, f, tl.Taps)
						}
					}
				}
				want := maskedOriginal(t, a, res.Channels.Selection)
				zeroTapsInOriginal(t, a, res.Channels.Selection, ts, want)
				in := randomInputs(t, m, rand.New(rand.NewPCG(5, 5)))
				closeOutputs(t, runModel(t, testmodels.RoundTrip(t, pm), in), runModel(t, want, in), 1e-4)
				best := res.Trials[res.Best]
				t.Logf("%.0f %%: inflation %.2f, %d taps removed, objective %.5g (channels alone %.5g), effective MACs %.0f of %.0f", 100*frac, best.Inflation, removed, ts.Objective, res.Trials[0].Objective, got, full)
			}
		})
	}
}

// The taps of a filter carry its share of the channel objective: with
// nothing to remove, the tap stage's objective is the channel one, and
// the removed importance is what the objective loses.
func TestSelectTapsKeepsTheObjectiveWhenNothingIsNeeded(t *testing.T) {
	m := loadPruneModel(t, "resnet20_cifar")
	a := analyze(t, m)
	sel := randomSelection(a, rand.New(rand.NewPCG(3, 3)))
	ts, err := a.SelectTaps(sel, 7, math.Inf(1))
	if err != nil {
		t.Fatal(err)
	}
	if ts.Removed != 0 || ts.Objective != 7 || len(ts.Layers) == 0 {
		t.Fatalf("removed %v, objective %v, %d layers", ts.Removed, ts.Objective, len(ts.Layers))
	}
	// One tap per kept filter is the floor; below it the budget is
	// infeasible and the error says so.
	if _, err := a.SelectTaps(sel, 7, 1); err == nil {
		t.Fatal("a budget of 1 MAC was met")
	}
}
