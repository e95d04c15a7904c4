package qcqp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkResNetSurvivors says where the bound is loose on the ResNet
// instances the benchmark leaves open: it runs the solver for the limit,
// then at the open count vectors of largest bound logs the count-level
// box bound, the share bound, the Lagrangian split bound after 100 and
// 1,000 subgradient iterations from zero multipliers, with and without
// the complement form (lagrange.go), and the best selection polish finds
// at those counts from the bound's hub picks and 40 random ones:
//
//	go test ./qcqp/ -run '^$' -bench ResNetSurvivors -benchtime 1x -v
func BenchmarkResNetSurvivors(b *testing.B) {
	limit := benchLimit(b)
	for _, c := range []struct {
		depth int
		frac  float64
	}{{20, 0.3}, {56, 0.3}, {56, 0.5}} {
		name := fmt.Sprintf("resnet%d/random/%v", c.depth, c.frac)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p := resnetCIFAR(rand.New(rand.NewPCG(uint64(c.depth), 1)), (c.depth-2)/6, uniformImportance, c.frac)
				survivors(b, name, p, limit, 8)
			}
		})
	}
}

func survivors(b *testing.B, name string, p *Problem, limit time.Duration, top int) {
	s, err := NewSolver(p, Options{TimeLimit: limit})
	if err != nil {
		b.Fatal(err)
	}
	s.clk.now = cpuNow
	start, _ := cpuClock()
	for !s.Done() {
		if _, err := s.Step(context.Background()); err != nil {
			b.Fatal(err)
		}
		if now, _ := cpuClock(); now-start >= limit {
			break
		}
	}
	res, sr, md := s.Result(), s.s, s.md
	b.Logf("%s: objective %.6f bound %.6f gap %.4f%% after %v", name, res.Objective, res.Bound, 100*res.Gap, limit)
	var vecs []*item
	boxes, nodes := 0, 0
	for _, it := range append(slices.Clone(sr.open), sr.stack...) {
		switch {
		case it.fix != nil:
			nodes++
			vecs = append(vecs, it)
		case slices.Equal(it.lo, it.hi):
			vecs = append(vecs, it)
		default:
			boxes++
		}
	}
	b.Logf("open: %d boxes, %d count vectors (%d of them branched on)", boxes, len(vecs), nodes)
	slices.SortFunc(vecs, func(x, y *item) int { return -cmpFloat(x.bound, y.bound) })
	seen := map[string]bool{}
	far := time.Now().Add(time.Hour)
	for _, it := range vecs {
		if len(seen) == top {
			break
		}
		if k := fmt.Sprint(it.lo); seen[k] {
			continue
		} else {
			seen[k] = true
		}
		n, lo := make([]int, len(md.free)), make([]int, len(md.free))
		for hp, h := range md.hubs {
			n[h], lo[h] = int(it.lo[hp]), int(it.lo[hp])
		}
		box := math.Inf(1)
		if sr.cnt != nil {
			box = sr.cnt.boxBound(lo, lo)
		}
		share := newBounder(md).sideBound(lo, lo, make([]float64, len(md.blocks)), math.Inf(-1))
		var lag [2][2]float64
		for k, off := range []bool{false, true} {
			bd := newBounder(md)
			bd.noComplement = off
			fix := make(fixing, sr.nHubCh)
			lag[k][0], _ = bd.lagrangian(n, fix, sr.hubOff, math.Inf(-1), 100, 2, sr.picks, sr.dis, far)
			v, _ := bd.lagrangian(n, fix, sr.hubOff, math.Inf(-1), 900, 1, sr.picks, sr.dis, far)
			lag[k][1] = min(lag[k][0], v)
		}
		primal := primalAt(md, n, sr.picks, 40)
		b.Logf("counts %v (open at %.4f): count box %.4f, share %.4f, split 100/1000 iterations %.4f / %.4f (without the complement %.4f / %.4f), best found at these counts %.4f",
			it.lo, it.bound, box, share, lag[0][0], lag[0][1], lag[1][0], lag[1][1], primal)
	}
}

// primalAt is the best objective polish reaches at hub counts n from the
// hub picks given and from tries random ones.
func primalAt(md *model, n []int, picks [][]bool, tries int) float64 {
	pr := newPrimal(md)
	r := rand.New(rand.NewPCG(7, 11))
	best := math.Inf(-1)
	for t := range tries + 1 {
		keep := make([][]bool, len(md.free))
		for m, c := range md.size {
			keep[m] = make([]bool, c)
		}
		for _, h := range md.hubs {
			if t == 0 {
				copy(keep[h], picks[h])
				continue
			}
			for _, i := range r.Perm(md.size[h])[:n[h]] {
				keep[h][i] = true
			}
		}
		if v, ok := pr.polish(keep); ok {
			best = max(best, v)
		}
	}
	return best
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
