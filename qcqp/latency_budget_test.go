package qcqp

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// AddBudget turns a share or a time into one latency constraint, and
// refuses what no pruning can meet with the figures that say so.
func TestLatencyModelAddBudget(t *testing.T) {
	lm := &LatencyModel{Runtime: "synthetic", Overhead: 2e-6, Layers: []LayerLatency{
		{Layer: "conv1", A: 1e-5, B: 1e-7, C: 2e-6, D: 1e-7},
		{Layer: "conv2", A: 1e-5, B: 1e-6, C: 1e-6, D: 4e-7},
		{Layer: "fc", A: 5e-6, B: 1e-7, C: 1e-7, D: 1e-8},
	}}
	fresh := func() *Problem { return mnist8Shaped(rand.New(rand.NewPCG(8, 8)), 1) }
	p := fresh()
	others := len(p.Constraints)
	// mnist-8's maps: the fixed input (1), conv1's 8 and conv2's 16, the
	// fixed 10 logits.
	full, _ := lm.Seconds(p, []int{1, 8, 16, 10})
	least, _ := lm.Seconds(p, []int{1, 1, 1, 10})
	if !(least < full) {
		t.Fatalf("least %v, full %v", least, full)
	}

	l, err := lm.AddBudget(p, LatencyBudget{Fraction: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Constraints) != others+1 || p.Constraints[others].Name != "latency" {
		t.Fatalf("constraints %+v", p.Constraints)
	}
	c := p.Constraints[others]
	if l.Full != full || l.Least != least || math.Abs(l.Seconds-0.6*full) > 1e-18 || c.Budget != l.Seconds {
		t.Fatalf("limit %+v, want full %v least %v", l, full, least)
	}
	if got := c.Cost([]int{1, 8, 16, 10}); got != full {
		t.Fatalf("the constraint prices the unpruned network at %v, the model at %v", got, full)
	}

	p = fresh()
	if l, err = lm.AddBudget(p, LatencyBudget{Seconds: full / 2}); err != nil || l.Seconds != full/2 {
		t.Fatalf("seconds budget: %+v, %v", l, err)
	}

	p = fresh()
	_, err = lm.AddBudget(p, LatencyBudget{Seconds: least / 2})
	var un *UnreachableLatencyError
	if !errors.As(err, &un) || un.Limit.Least != least || un.Limit.Full != full || un.Limit.Seconds != least/2 {
		t.Fatalf("below the least: %v", err)
	}
	if len(p.Constraints) != others {
		t.Fatalf("a refused budget was still added")
	}
	if _, err := lm.AddBudget(fresh(), LatencyBudget{Seconds: least}); err != nil {
		t.Fatalf("a budget of exactly the least is reachable: %v", err)
	}

	for _, bad := range []LatencyBudget{{}, {Fraction: 1.5}, {Fraction: -0.1}, {Fraction: math.NaN()}, {Seconds: -1}, {Seconds: math.Inf(1)}, {Seconds: math.NaN()}} {
		if _, err := lm.AddBudget(fresh(), bad); !errors.Is(err, ErrBadLatencyBudget) {
			t.Errorf("%+v: %v", bad, err)
		}
	}

	other := &LatencyModel{Runtime: "synthetic", Layers: lm.Layers[:2]}
	var mis *LatencyMismatchError
	if _, err := other.AddBudget(fresh(), LatencyBudget{Fraction: 0.5}); !errors.As(err, &mis) || !strings.Contains(err.Error(), "no fit for layer fc") {
		t.Fatalf("a model without fc's fit: %v", err)
	}
}
