package qcqp

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The complement form of the split bound (lagrange.go, complement) is
// valid for any multipliers 0 <= M <= q and any hub fixings: on small
// random networks, with and without one constraint per node, it is at
// least the best selection with the same hub counts that respects the
// fixings (enumeration), for random multipliers (zero, q, or a random
// share of q per entry) and after the subgradient method, and it is
// strictly below the plain split bound at the same multipliers often
// enough to matter; so is the share bound's form of it at random shares.
// Doubling the constant either form subtracts fails it.
func TestComplementBoundAdmissible(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 67))
	checked, tighter, active, sides := 0, 0, 0, 0
	for trial := range 200 {
		p := randomSmall(r, 12)
		if trial%2 == 1 {
			p = withNodeBudgets(r, p)
		}
		md := compile(p)
		if len(md.leaves) == 0 {
			continue
		}
		s := newSearch(md, 1<<20, 0)
		s.deadline = time.Now().Add(time.Hour)
		fixes := []fixing{make(fixing, s.nHubCh)}
		for range 3 {
			f := make(fixing, s.nHubCh)
			for k := range f {
				if r.IntN(3) == 0 {
					f[k] = int8(2*r.IntN(2) - 1)
				}
			}
			fixes = append(fixes, f)
		}
		best := bestPerHubCountsFixed(p, md, s.hubOff, fixes)
		bd := s.bd
		// in a fixed order, so that the random draws are the same in every run
		keys := slices.SortedFunc(maps.Keys(best), func(a, b countsFix) int {
			if c := slices.Compare(a.counts[:], b.counts[:]); c != 0 {
				return c
			}
			return a.fix - b.fix
		})
		for _, key := range keys {
			want := best[key]
			for hp, h := range md.hubs {
				s.n[h] = int(key.counts[hp])
			}
			fix := fixes[key.fix]
			tol := 1e-9 * math.Max(1, math.Abs(want))
			for draw := range 6 {
				randomMultipliers(r, md, bd, draw)
				f := append(fixing(nil), fix...)
				bd.noComplement = true
				plain := bd.splitBound(s.n, f, s.hubOff)
				bd.noComplement = false
				b := bd.splitBound(s.n, f, s.hubOff)
				if b < want-tol {
					t.Fatalf("trial %d counts %v fixing %v draw %d: complement bound %.12g below the best %.12g (plain %.12g)", trial, key.counts, fix, draw, b, want, plain)
				}
				if b > plain+tol {
					t.Fatalf("trial %d counts %v: complement bound %.12g above the plain %.12g", trial, key.counts, b, plain)
				}
				if b < plain-tol {
					tighter++
				}
				for _, on := range bd.compOn {
					if on {
						active++
						break
					}
				}
				checked++
			}
			if key.fix == 0 {
				// the share bound's complement (bounds.go, sideEval) at
				// random shares per block
				lo := make([]int, len(md.free))
				for hp, h := range md.hubs {
					lo[h] = int(key.counts[hp])
				}
				alpha := make([]float64, len(md.blocks))
				for range 4 {
					for b := range alpha {
						alpha[b] = sideSteps[r.IntN(len(sideSteps))]
					}
					md.leafCostsMin(lo, lo, bd.base, bd.kappa)
					if !md.leafKmax(bd.base, bd.kappa, bd.kmax) {
						t.Fatalf("trial %d counts %v: no room for the leaves, but a selection fits", trial, key.counts)
					}
					if v := bd.sideEval(lo, lo, alpha); v < want-tol {
						t.Fatalf("trial %d counts %v shares %v: share bound %.12g below the best %.12g", trial, key.counts, alpha, v, want)
					}
					sides++
				}
			}
			clearMultipliers(md, bd)
			lb, _ := bd.lagrangian(s.n, append(fixing(nil), fix...), s.hubOff, math.Inf(-1), 50, 2, s.picks, s.dis, s.deadline)
			if lb < want-tol {
				t.Fatalf("trial %d counts %v fixing %v: split bound after the subgradient %.12g below %.12g", trial, key.counts, fix, lb, want)
			}
		}
	}
	if checked < 2000 || tighter < 100 {
		t.Fatalf("only %d evaluations checked, %d with the complement strictly tighter", checked, tighter)
	}
	t.Logf("%d evaluations checked, complement in use in %d, strictly tighter in %d; %d share bounds", checked, active, tighter, sides)
}

// randomMultipliers sets every block's multipliers: all zero, all q, or
// per entry zero, q or a random share of q.
func randomMultipliers(r *rand.Rand, md *model, bd *bounder, draw int) {
	for b := range md.blocks {
		q, mul := md.blocks[b].q, bd.mul[b]
		for e := range mul {
			switch {
			case draw == 0:
				mul[e] = 0
			case draw == 1:
				mul[e] = q[e]
			default:
				switch r.IntN(3) {
				case 0:
					mul[e] = 0
				case 1:
					mul[e] = q[e]
				default:
					mul[e] = r.Float64() * q[e]
				}
			}
		}
		for j := range bd.rowNZ[b] {
			bd.rowNZ[b][j] = true
		}
	}
	bd.refreshNonZero()
}

func clearMultipliers(md *model, bd *bounder) {
	for b := range md.blocks {
		clear(bd.mul[b])
		clear(bd.rowNZ[b])
		clear(bd.colNZ[b])
	}
}

type countsFix struct {
	counts [4]int8
	fix    int
}

// bestPerHubCountsFixed enumerates every selection of p and returns, per
// vector of hub counts and per fixing it respects, the best feasible
// objective.
func bestPerHubCountsFixed(p *Problem, md *model, hubOff []int, fixes []fixing) map[countsFix]float64 {
	if len(md.hubs) > 4 {
		panic("bestPerHubCountsFixed: more than 4 hubs")
	}
	var free [][2]int
	for m, mp := range p.Maps {
		if !mp.Fixed {
			for i := range mp.Channels {
				free = append(free, [2]int{m, i})
			}
		}
	}
	s := allKeptSelection(p)
	best := map[countsFix]float64{}
	for bits := 0; bits < 1<<len(free); bits++ {
		for k, f := range free {
			s.Keep[f[0]][f[1]] = bits>>k&1 == 1
		}
		if p.Feasible(s) != nil {
			continue
		}
		v := p.Objective(s)
		var key countsFix
		for hp, h := range md.hubs {
			key.counts[hp] = int8(countTrue(s.Keep[md.free[h]]))
		}
		for fi, fix := range fixes {
			ok := true
			for hp, h := range md.hubs {
				for i, kept := range s.Keep[md.free[h]] {
					if f := fix[hubOff[hp]+i]; (f > 0 && !kept) || (f < 0 && kept) {
						ok = false
					}
				}
			}
			if !ok {
				continue
			}
			key.fix = fi
			if b, seen := best[key]; !seen || v > b {
				best[key] = v
			}
		}
	}
	return best
}
