package qcqp

import (
	"bytes"
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestLatencyFitRecoversTheModel(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	want := LayerLatency{Layer: "conv", A: 2e-5, B: 3e-7, C: 5e-7, D: 4e-8}
	var samples []LatencySample
	for _, in := range []int{4, 8, 16, 32} {
		for _, out := range []int{4, 8, 16, 32, 64} {
			s := want.Seconds(in, out) * (1 + 0.01*r.NormFloat64())
			samples = append(samples, LatencySample{In: in, Out: out, Seconds: s})
		}
	}
	got, err := FitLayerLatency("conv", samples)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][2]int{{4, 4}, {32, 64}, {10, 50}} {
		w, g := want.Seconds(pt[0], pt[1]), got.Seconds(pt[0], pt[1])
		if math.Abs(g-w) > 0.03*w {
			t.Fatalf("at %v: fitted %v s, true %v s", pt, g, w)
		}
	}
	if _, err := FitLayerLatency("conv", samples[:3]); err == nil || !strings.Contains(err.Error(), "at least two") {
		t.Fatalf("three samples: %v", err)
	}
}

// TestLatencyConstraintAndValidation builds a model of a small residual
// net whose true per-layer times are quadratic plus noise, checks that
// the constraint predicts the model's sum, that the mean percentage
// error on random pruned networks is small, and that the JSON round trip
// keeps the model.
func TestLatencyConstraintAndValidation(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	p := resnetCIFAR(r, 1, l1Importance, 0.5)
	truth := map[string]LayerLatency{}
	lm := &LatencyModel{Runtime: "synthetic"}
	for k, l := range p.Layers {
		name := l.Name + string(rune('a'+k))
		p.Layers[k].Name = name
		tl := LayerLatency{A: 1e-5 * r.Float64(), B: 1e-7 * r.Float64(), C: 1e-7 * r.Float64(), D: 1e-8 * r.Float64()}
		truth[name] = tl
		var samples []LatencySample
		cin, cout := p.InWidth(&p.Layers[k]), p.Maps[l.Out].Channels
		for _, fi := range []float64{0.25, 0.5, 1} {
			for _, fo := range []float64{0.25, 0.5, 1} {
				in, out := max(1, int(fi*float64(cin))), max(1, int(fo*float64(cout)))
				samples = append(samples, LatencySample{In: in, Out: out, Seconds: tl.Seconds(in, out) * (1 + 0.02*r.NormFloat64())})
			}
		}
		fit, err := FitLayerLatency(name, samples)
		if err != nil {
			t.Fatal(err)
		}
		lm.Layers = append(lm.Layers, fit)
	}
	var nets []MeasuredNetwork
	for range 20 {
		n := make([]int, len(p.Maps))
		for m, mp := range p.Maps {
			n[m] = mp.Channels
			if !mp.Fixed {
				n[m] = 1 + r.IntN(mp.Channels)
			}
		}
		var total float64
		for _, l := range p.Layers {
			in := 0
			for _, m := range l.In {
				in += n[m]
			}
			tl := truth[l.Name]
			total += tl.Seconds(in, n[l.Out])
		}
		nets = append(nets, MeasuredNetwork{Counts: n, Seconds: total})
	}
	mpe, err := lm.Validate(p, nets)
	if err != nil {
		t.Fatal(err)
	}
	if mpe > 3 {
		t.Fatalf("mean percentage error %.2f%% on 20 random pruned networks", mpe)
	}
	c, err := lm.Constraint(p, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for k := range lm.Layers {
		l := &p.Layers[k]
		in := 0
		for _, m := range l.In {
			in += nets[0].Counts[m]
		}
		sum += lm.Layers[k].Seconds(in, nets[0].Counts[l.Out])
	}
	if got := c.Cost(nets[0].Counts); math.Abs(got-sum) > 1e-12 {
		t.Fatalf("constraint %v, model %v", got, sum)
	}
	var buf bytes.Buffer
	if err := lm.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLatencyModel(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Layers) != len(lm.Layers) || back.Layers[3] != lm.Layers[3] || back.MeanPercentError != mpe {
		t.Fatalf("round trip changed the model")
	}
	p.Layers[0].Name = "unknown"
	if _, err := lm.Constraint(p, 1); err == nil || !strings.Contains(err.Error(), "no fit for layer unknown") {
		t.Fatalf("missing layer: %v", err)
	}
	for _, bad := range []string{`{"layers":[]}`, `{"layers":[{"layer":"a"},{"layer":"a"}]}`, `{"layers":[{"layer":"a","x":1}]}`, `not json`} {
		if _, err := ReadLatencyModel(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// A latency budget is solved like any other constraint.
func TestSolveUnderLatencyBudget(t *testing.T) {
	p := mnist8Shaped(rand.New(rand.NewPCG(8, 8)), 1)
	lm := &LatencyModel{Runtime: "synthetic", Layers: []LayerLatency{
		{Layer: "conv1", A: 1e-5, B: 1e-7, C: 2e-6, D: 1e-7},
		{Layer: "conv2", A: 1e-5, B: 1e-6, C: 1e-6, D: 4e-7},
		{Layer: "fc", A: 5e-6, B: 1e-7, C: 1e-7, D: 1e-8},
	}}
	full, err := lm.Seconds(p, []int{1, 8, 16, 10})
	if err != nil {
		t.Fatal(err)
	}
	c, err := lm.Constraint(p, 0.5*full)
	if err != nil {
		t.Fatal(err)
	}
	p.Constraints = append(p.Constraints, c)
	res, err := Solve(t.Context(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Optimal() || c.Cost(res.Selection.Counts()) > c.Budget {
		t.Fatalf("%+v", res)
	}
	want, _ := bruteForceSmallMaps(p)
	if math.Abs(want-res.Objective) > 1e-9 {
		t.Fatalf("solver %v, enumeration %v", res.Objective, want)
	}
}

// bruteForceSmallMaps solves a problem whose free maps' counts can be
// enumerated and whose second map, given the first, is a top-k (mnist-8's
// shape: conv1 map then conv2 map feeding a fixed fc).
func bruteForceSmallMaps(p *Problem) (float64, bool) {
	best, ok := math.Inf(-1), false
	s := allKeptSelection(p)
	c1 := p.Maps[1].Channels
	for bits := 1; bits < 1<<c1; bits++ {
		for i := range c1 {
			s.Keep[1][i] = bits>>i&1 == 1
		}
		// Map 2 given map 1: each channel's value is linear, so the best
		// k channels are the top k.
		pr := p.Objective
		for k := 1; k <= p.Maps[2].Channels; k++ {
			score := make([]float64, p.Maps[2].Channels)
			for j := range score {
				for i := range p.Maps[2].Channels {
					s.Keep[2][i] = i == j
				}
				score[j] = pr(s)
			}
			order := make([]int, len(score))
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
			for i := range s.Keep[2] {
				s.Keep[2][i] = false
			}
			for _, i := range order[:k] {
				s.Keep[2][i] = true
			}
			if p.Feasible(s) == nil {
				if v := pr(s); v > best {
					best, ok = v, true
				}
			}
		}
	}
	return best, ok
}
