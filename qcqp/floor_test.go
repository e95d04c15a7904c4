package qcqp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// withRandomFloors gives every free map of p a floor between one and
// all of its channels, more often low than high (a floor at the full
// width fixes the map).
func withRandomFloors(r *rand.Rand, p *Problem) {
	for m := range p.Maps {
		mp := &p.Maps[m]
		if !mp.Fixed && r.IntN(3) > 0 {
			mp.Min = 1 + r.IntN(mp.Channels)
		}
	}
}

// The solver's optimum with floors is the brute-force optimum over the
// selections that keep every floor, and the baselines and Greedy never go
// below one either.
func TestFloorsMatchBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 43))
	solved, infeasible, floored := 0, 0, 0
	for trial := range 400 {
		p := randomSmall(r, 12)
		withRandomFloors(r, p)
		if p.hasFloors() {
			floored++
		}
		want, ok := bruteForce(p)
		res, err := Solve(context.Background(), p, Options{})
		if !ok {
			if !errors.Is(err, ErrInfeasible) {
				t.Fatalf("trial %d: no selection keeps the floors within budget, solver said %v", trial, err)
			}
			infeasible++
			continue
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if err := p.Feasible(res.Selection); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !res.Optimal() || math.Abs(res.Objective-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("trial %d: solver %v (%s, bound %v), brute force %v", trial, res.Objective, res.Status, res.Bound, want)
		}
		for name, f := range map[string]func(*Problem) (*Selection, error){"greedy": Greedy, "l1": UniformL1, "knapsack": GlobalKnapsack} {
			sel, err := f(p)
			if errors.Is(err, ErrInfeasible) {
				continue // a heuristic may miss a feasible selection
			}
			if err != nil {
				t.Fatalf("trial %d: %s: %v", trial, name, err)
			}
			if err := p.Feasible(sel); err != nil {
				t.Fatalf("trial %d: %s: %v", trial, name, err)
			}
		}
		solved++
	}
	if solved < 150 || infeasible < 20 || floored < 200 {
		t.Fatalf("draws cover too little: %d solved, %d infeasible, %d with floors", solved, infeasible, floored)
	}
}

func TestSetMinKeep(t *testing.T) {
	p := &Problem{Maps: []Map{{Name: "in", Channels: 3, Fixed: true}, {Name: "a", Channels: 16}, {Name: "b", Channels: 10}, {Name: "c", Channels: 1}}}
	for _, c := range []struct {
		share float64
		want  []int
	}{
		{0, []int{3, 1, 1, 1}},
		{0.25, []int{3, 4, 3, 1}},
		{0.3, []int{3, 5, 3, 1}},
		{0.5, []int{3, 8, 5, 1}},
		{1, []int{3, 16, 10, 1}},
	} {
		if err := p.SetMinKeep(c.share); err != nil {
			t.Fatal(err)
		}
		for m, w := range c.want {
			if got := p.Maps[m].Floor(); got != w {
				t.Errorf("share %v: map %s floor %d, want %d", c.share, p.Maps[m].Name, got, w)
			}
		}
	}
	for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
		if err := p.SetMinKeep(bad); err == nil {
			t.Errorf("share %v accepted", bad)
		}
	}
	p.Maps[1].Min = 17
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "must keep 17 of its 16") {
		t.Errorf("a floor above the width: %v", err)
	}
}

// A floor the budget cannot pay for is refused up front, and the message
// says that the floor is the reason.
func TestFloorOverBudgetIsRefused(t *testing.T) {
	p := mnist8Shaped(rand.New(rand.NewPCG(8, 8)), 0.3)
	if _, err := Solve(context.Background(), p, Options{}); err != nil {
		t.Fatalf("without floors: %v", err)
	}
	if err := p.SetMinKeep(0.9); err != nil {
		t.Fatal(err)
	}
	_, err := Solve(context.Background(), p, Options{})
	if !errors.Is(err, ErrInfeasible) || !strings.Contains(err.Error(), "floor") {
		t.Fatalf("floors of 90 %% under a 30 %% budget: %v", err)
	}
}

// On a ResNet-20-shaped instance under a time limit, every map keeps its
// share and the result stays honest: the bound is at least the objective,
// and the floored optimum is no better than the unfloored bound.
func TestFloorsOnResNet(t *testing.T) {
	p := resnetCIFAR(rand.New(rand.NewPCG(8, 1)), 3, l1Importance, 0.4)
	free, err := Solve(context.Background(), p, Options{TimeLimit: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetMinKeep(0.3); err != nil {
		t.Fatal(err)
	}
	res, err := Solve(context.Background(), p, Options{TimeLimit: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Feasible(res.Selection); err != nil {
		t.Fatal(err)
	}
	n := res.Selection.Counts()
	narrowest := 1.0
	for m, mp := range p.Maps {
		if !mp.Fixed {
			narrowest = min(narrowest, float64(n[m])/float64(mp.Channels))
		}
	}
	if narrowest < 0.3-1e-9 {
		t.Fatalf("a map keeps %.2f of its channels, below the 0.3 floor", narrowest)
	}
	if res.Bound < res.Objective || res.Objective > free.Bound*(1+1e-9) {
		t.Fatalf("floored %v (bound %v), unfloored bound %v", res.Objective, res.Bound, free.Bound)
	}
	// Without floors the optimum does narrow some map below 0.3, or the
	// test shows nothing.
	fn := free.Selection.Counts()
	below := false
	for m, mp := range p.Maps {
		if !mp.Fixed && float64(fn[m]) < 0.3*float64(mp.Channels) {
			below = true
		}
	}
	if !below {
		t.Fatalf("the unfloored selection keeps 30 %% of every map: the floor was not exercised")
	}
}

// FitMinKeep keeps the largest share the budget pays for: one per cent
// more does not fit.
func TestFitMinKeep(t *testing.T) {
	p := mnist8Shaped(rand.New(rand.NewPCG(8, 8)), 0.3)
	got, err := p.FitMinKeep(0.9)
	if err != nil {
		t.Fatal(err)
	}
	if got <= 0 || got >= 0.9 || p.CheckReachable() != nil {
		t.Fatalf("fitted %v (reachable: %v)", got, p.CheckReachable())
	}
	if err := p.SetMinKeep(got + 0.01); err != nil {
		t.Fatal(err)
	}
	if p.CheckReachable() == nil {
		t.Fatalf("%v fits, but FitMinKeep stopped at %v", got+0.01, got)
	}
	// A share the budget pays for is kept as asked.
	if got, _ := p.FitMinKeep(0.1); got != 0.1 {
		t.Errorf("FitMinKeep(0.1) = %v", got)
	}
	// A budget not even one channel per map meets: no floor.
	p.Constraints[0].Budget = 1
	if got, _ := p.FitMinKeep(0.25); got != 0 || p.Maps[1].Floor() != 1 {
		t.Errorf("unreachable budget: fitted %v, floor %d", got, p.Maps[1].Floor())
	}
}
