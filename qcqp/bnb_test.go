package qcqp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// bruteForce enumerates every mask of the free maps.
func bruteForce(p *Problem) (float64, bool) {
	var free [][2]int
	for m, mp := range p.Maps {
		if !mp.Fixed {
			for i := range mp.Channels {
				free = append(free, [2]int{m, i})
			}
		}
	}
	s := allKeptSelection(p)
	best, found := math.Inf(-1), false
	for bits := 0; bits < 1<<len(free); bits++ {
		for k, f := range free {
			s.Keep[f[0]][f[1]] = bits>>k&1 == 1
		}
		if p.Feasible(s) != nil {
			continue
		}
		if v := p.Objective(s); v > best {
			best, found = v, true
		}
	}
	return best, found
}

func TestSolverMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	solved := 0
	for trial := range 150 {
		p := randomSmall(r, 12)
		want, ok := bruteForce(p)
		res, err := Solve(context.Background(), p, Options{})
		if !ok {
			if !errors.Is(err, ErrInfeasible) {
				t.Fatalf("trial %d: no feasible selection exists, solver said %v", trial, err)
			}
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
		solved++
	}
	if solved < 100 {
		t.Fatalf("only %d feasible instances", solved)
	}
}
