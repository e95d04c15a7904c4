package qcqp

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomLeafKnapsack is a leaf knapsack of 2-5 leaves of 1-6 channels
// under 2-6 constraints, each of which prices only some leaves (as a
// memory budget's per-node constraints do), with random base costs.
func randomLeafKnapsack(r *rand.Rand) (md *model, vals [][]float64, base []float64, kappa [][]float64) {
	nl, nc := 2+r.IntN(4), 2+r.IntN(5)
	md = &model{}
	for l := range nl {
		md.leaves = append(md.leaves, l)
		c := 1 + r.IntN(6)
		md.size = append(md.size, c)
		md.floor = append(md.floor, 1+r.IntN(min(c, 2)))
		v := make([]float64, c)
		for j := range v {
			v[j] = r.Float64()
		}
		vals = append(vals, v)
	}
	for c := range nc {
		k := make([]float64, nl)
		full, least := 0.0, 0.0
		for l := range nl {
			if r.IntN(3) > 0 || l == c%nl {
				k[l] = float64(1 + r.IntN(9))
			}
			full += k[l] * float64(md.size[l])
			least += k[l] * float64(md.floor[l])
		}
		b := float64(r.IntN(20))
		base = append(base, b)
		kappa = append(kappa, k)
		md.cons = append(md.cons, costPoly{name: "c", budget: b + least + r.Float64()*(full-least)})
	}
	return md, vals, base, kappa
}

// leafBruteForce is the best leaf knapsack value over every count vector
// (each leaf its top-k values), -Inf when none fits.
func leafBruteForce(md *model, vals [][]float64, base []float64, kappa [][]float64) float64 {
	pref := make([][]float64, len(md.leaves))
	for l := range md.leaves {
		pref[l] = topPrefix(vals[l])
	}
	k := slices.Clone(md.floor)
	best := math.Inf(-1)
	for {
		fits := true
		for c := range md.cons {
			cost := base[c]
			for l := range md.leaves {
				cost += kappa[c][l] * float64(k[l])
			}
			fits = fits && cost <= md.cons[c].budget
		}
		if fits {
			v := 0.0
			for l := range md.leaves {
				v += pref[l][k[l]]
			}
			best = max(best, v)
		}
		l := 0
		for ; l < len(k); l++ {
			if k[l] < md.size[l] {
				k[l]++
				break
			}
			k[l] = md.floor[l]
		}
		if l == len(k) {
			return best
		}
	}
}

// The several-constraint LP bound of the leaves is never below the best
// count vector, never above the least single-constraint bound, refuses
// only knapsacks with no fitting choice, and its theta is a 0/1 choice
// that keeps the floors. It must also be strictly tighter than the least
// single-constraint bound on a good share of the draws, or the test would
// not be exercising it.
func TestLeafDualAdmissible(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 37))
	tighter, feasible := 0, 0
	for trial := range 2000 {
		md, vals, base, kappa := randomLeafKnapsack(r)
		ls := newLeafSolver(md)
		theta := make([][]float64, len(md.leaves))
		for l := range theta {
			theta[l] = make([]float64, md.size[l])
		}
		got := ls.fractional(vals, base, kappa, theta)
		want := leafBruteForce(md, vals, base, kappa)
		if math.IsInf(want, -1) {
			continue // the LP may still fit fractionally
		}
		feasible++
		if math.IsInf(got, -1) || got < want-1e-9*math.Max(1, want) {
			t.Fatalf("trial %d: bound %.12g below the optimum %.12g", trial, got, want)
		}
		single := math.Inf(1)
		mandatory := 0.0
		for l, m := range md.leaves {
			mandatory += topPrefix(vals[l])[md.floor[m]]
		}
		for c := range md.cons {
			v, ok := ls.fractionalOne(c, base[c], kappa[c], nil)
			if !ok {
				t.Fatalf("trial %d: constraint %d refused a feasible knapsack", trial, c)
			}
			single = min(single, v+mandatory)
		}
		if got > single+1e-9*math.Max(1, single) {
			t.Fatalf("trial %d: bound %.12g above the least single-constraint bound %.12g", trial, got, single)
		}
		if got < single-1e-9*math.Max(1, single) {
			tighter++
		}
		for l, m := range md.leaves {
			kept := 0
			for _, th := range theta[l] {
				if th != 0 && th != 1 {
					t.Fatalf("trial %d: theta %v", trial, theta[l])
				}
				kept += int(th)
			}
			if kept < md.floor[m] {
				t.Fatalf("trial %d: leaf %d keeps %d of floor %d", trial, l, kept, md.floor[m])
			}
		}
	}
	t.Logf("%d feasible knapsacks, %d with a bound below the least single-constraint bound", feasible, tighter)
	if feasible < 500 || tighter < feasible/10 {
		t.Fatalf("%d feasible, %d tighter", feasible, tighter)
	}
}

// withNodeBudgets adds, like a memory budget, one constraint per free map:
// the map's activations plus a shared parameter-like count, so that each
// constraint prices one map's count more than the others.
func withNodeBudgets(r *rand.Rand, p *Problem) *Problem {
	full := make([]int, len(p.Maps))
	for m, mp := range p.Maps {
		full[m] = mp.Channels
	}
	var shared []Term
	for _, l := range p.Layers {
		if !l.Diagonal {
			shared = append(shared, Term{A: l.In[0], B: l.Out, Coef: 2})
		}
	}
	frac := 0.3 + 0.6*r.Float64()
	for m, mp := range p.Maps {
		if mp.Fixed {
			continue
		}
		c := Constraint{Name: "node", Const: 3, Terms: append(slices.Clone(shared), Term{A: m, B: -1, Coef: float64(5 + r.IntN(40))})}
		c.Budget = math.Floor(frac * c.Cost(full))
		p.Constraints = append(p.Constraints, c)
	}
	return p
}

// With one constraint per node the solver still proves the brute-force
// optimum, and a search stopped at once reports a bound at least that
// optimum.
func TestSolverMatchesBruteForceNodeBudgets(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 43))
	solved := 0
	for trial := range 120 {
		p := withNodeBudgets(r, randomSmall(r, 12))
		want, ok := bruteForce(p)
		res, err := Solve(context.Background(), p, Options{})
		if !ok {
			continue
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !res.Optimal() || math.Abs(res.Objective-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("trial %d: solver %v (%s, bound %v), brute force %v", trial, res.Objective, res.Status, res.Bound, want)
		}
		early, err := stoppedAtOnce(t, p)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		checkEarly(t, "node budgets", p, early, want)
		solved++
	}
	if solved < 60 {
		t.Fatalf("only %d feasible instances", solved)
	}
}

// bestPerHubCounts enumerates every selection of p and returns, per
// vector of hub counts (md's hubs, in order), the best feasible objective.
func bestPerHubCounts(p *Problem, md *model) map[string]float64 {
	var free [][2]int
	for m, mp := range p.Maps {
		if !mp.Fixed {
			for i := range mp.Channels {
				free = append(free, [2]int{m, i})
			}
		}
	}
	s := allKeptSelection(p)
	best := map[string]float64{}
	key := make([]byte, len(md.hubs))
	for bits := 0; bits < 1<<len(free); bits++ {
		for k, f := range free {
			s.Keep[f[0]][f[1]] = bits>>k&1 == 1
		}
		if p.Feasible(s) != nil {
			continue
		}
		for hp, h := range md.hubs {
			key[hp] = byte(countTrue(s.Keep[md.free[h]]))
		}
		v := p.Objective(s)
		if b, ok := best[string(key)]; !ok || v > b {
			best[string(key)] = v
		}
	}
	return best
}

func countTrue(k []bool) int {
	n := 0
	for _, b := range k {
		if b {
			n++
		}
	}
	return n
}

// Under one constraint per node, the bounds that use the leaf knapsack's
// LP (the box bound of every count vector, the share bound and the
// Lagrangian split bound at each count vector) are at least the best
// selection with those hub counts, found by enumeration.
func TestBoundsAdmissibleNodeBudgets(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 53))
	checked := 0
	for trial := range 150 {
		p := withNodeBudgets(r, randomSmall(r, 12))
		md := compile(p)
		if len(md.leaves) == 0 || len(md.cons) < 2 {
			continue
		}
		best := bestPerHubCounts(p, md)
		s := newSearch(md, 1<<20, 0)
		s.deadline = time.Now().Add(time.Hour)
		opt := math.Inf(-1)
		for _, v := range best {
			opt = max(opt, v)
		}
		lo, hi := make([]int32, len(md.hubs)), make([]int32, len(md.hubs))
		for hp, h := range md.hubs {
			lo[hp], hi[hp] = int32(md.floor[h]), int32(md.size[h])
		}
		if b := s.boxBound(lo, hi); !math.IsInf(opt, -1) && b < opt-1e-9*math.Max(1, opt) {
			t.Fatalf("trial %d: root box bound %.12g below the optimum %.12g", trial, b, opt)
		}
		for k, want := range best {
			n32 := make([]int32, len(md.hubs))
			for hp := range md.hubs {
				n32[hp] = int32(k[hp])
				s.n[md.hubs[hp]] = int(k[hp])
			}
			tol := 1e-9 * math.Max(1, want)
			if b := s.boxBound(n32, n32); b < want-tol {
				t.Fatalf("trial %d counts %v: box bound %.12g below %.12g", trial, n32, b, want)
			}
			if b := s.vectorBound(n32); b < want-tol {
				t.Fatalf("trial %d counts %v: share bound %.12g below %.12g", trial, n32, b, want)
			}
			b, _ := s.bd.lagrangian(s.n, make(fixing, s.nHubCh), s.hubOff, math.Inf(-1), 50, 2, s.picks, s.dis, s.deadline)
			if b < want-tol {
				t.Fatalf("trial %d counts %v: split bound %.12g below %.12g", trial, n32, b, want)
			}
			checked++
		}
	}
	if checked < 200 {
		t.Fatalf("only %d count vectors checked", checked)
	}
	t.Logf("%d count vectors checked", checked)
}
