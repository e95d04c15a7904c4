package qcqp

import (
	"math"
)

// fixing records, per hub channel (hub h's channels start at hubOff[h]),
// whether a branch forced it in (+1), out (-1), or left it free (0).
type fixing []int8

// splitBound evaluates the split bound (see bounds.go) once for the hub
// counts n and the fixings fix, with the current multipliers; it fills
// the hub picks x, the leaf fractions theta and the row and column picks
// that the subgradient needs. It is -Inf when n cannot fit.
func (bd *bounder) splitBound(n []int, fix fixing, hubOff []int) float64 {
	md := bd.md
	md.leafCosts(n, bd.base, bd.kappa)
	if !md.leafKmax(bd.base, bd.kappa, bd.kmax) {
		return math.Inf(-1)
	}
	if len(md.leaves) == 0 {
		for c := range md.cons {
			if bd.base[c] > md.cons[c].budget+1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
				return math.Inf(-1)
			}
		}
	}
	for m := range md.free {
		al := bd.allowed[m][:0]
		hp := md.hubPos[m]
		for i := range md.size[m] {
			if hp < 0 || fix[hubOff[hp]+i] >= 0 {
				al = append(al, int32(i))
			}
		}
		bd.allowed[m] = al
		copy(bd.rowVal[m], md.lin[m])
		clear(bd.colVal[m])
	}
	for b := range md.blocks {
		bl := &md.blocks[b]
		q, mul, pr, pc := bl.q, bd.mul[b], bd.pickR[b], bd.pickC[b]
		clear(pr)
		clear(pc)
		cols := md.size[bl.c]
		kc := n[bl.c]
		alC := bd.allowed[bl.c]
		alR := bd.allowed[bl.r]
		rowHub := md.hubPos[bl.r] >= 0
		rv := bd.rowVal[bl.r]
		tmp := bd.tmp
		ids := bd.ids
		for _, j32 := range alR {
			j := int(j32)
			off := j * cols
			for _, i := range alC {
				tmp[i] = q[off+int(i)] - mul[off+int(i)]
			}
			id := ids[:len(alC)]
			copy(id, alC)
			k := min(kc, len(id))
			selectTopIdx(id, tmp, k)
			s := 0.0
			for _, i := range id[:k] {
				s += tmp[i]
				pr[off+int(i)] = true
			}
			rv[j] += s
		}
		kr := n[bl.r]
		if !rowHub {
			kr = bd.kmax[md.leafPos[bl.r]]
		}
		cv := bd.colVal[bl.c]
		for _, i32 := range alC {
			i := int(i32)
			id := ids[:len(alR)]
			copy(id, alR)
			any := false
			for _, j := range alR {
				v := mul[int(j)*cols+i]
				tmp[j] = v
				any = any || v > 0
			}
			if !any {
				continue
			}
			k := min(kr, len(id))
			selectTopIdx(id, tmp, k)
			s := 0.0
			for _, j := range id[:k] {
				s += tmp[j]
				pc[int(j)*cols+i] = true
			}
			cv[i] += s
		}
	}
	total := md.konst
	for hp, h := range md.hubs {
		v := bd.rowVal[h]
		cv := bd.colVal[h]
		x := bd.x[h]
		free := bd.ids[:0]
		need := n[h]
		for i := range v {
			v[i] += cv[i]
			x[i] = false
			switch fix[hubOff[hp]+i] {
			case 1:
				x[i] = true
				total += v[i]
				need--
			case 0:
				free = append(free, int32(i))
			}
		}
		if need < 0 || need > len(free) {
			return math.Inf(-1)
		}
		selectTopIdx(free, v, need)
		for _, i := range free[:need] {
			x[i] = true
			total += v[i]
		}
	}
	if len(md.leaves) > 0 {
		lf := bd.ls.fractional(bd.leafVals, bd.base, bd.kappa, bd.theta)
		if math.IsInf(lf, -1) {
			return lf
		}
		total += lf
	}
	return total
}

// subgradientStep moves the multipliers against the subgradient of the
// bound just evaluated, with the Polyak step toward target, and writes
// into dis, per free-map channel, how much rows and columns disagree
// about it (the branching score). It returns false when the subgradient
// is zero (the bound cannot be lowered from here).
func (bd *bounder) subgradientStep(bound, target, lambda float64, dis [][]float64) bool {
	md := bd.md
	for m := range dis {
		clear(dis[m])
	}
	norm := 0.0
	for b := range md.blocks {
		bl := &md.blocks[b]
		cols := md.size[bl.c]
		pr, pc := bd.pickR[b], bd.pickC[b]
		xc := bd.x[bl.c]
		rowTheta := bd.rowWeight(bl.r)
		dr, dc := dis[bl.r], dis[bl.c]
		for j := range md.size[bl.r] {
			th := rowTheta(j)
			off := j * cols
			for i := range cols {
				g := 0.0
				if pc[off+i] && xc[i] {
					g = 1
				}
				if pr[off+i] {
					g -= th
				}
				if g != 0 {
					norm += g * g
					dc[i] += g
					dr[j] -= g
				}
			}
		}
	}
	if norm == 0 {
		return false
	}
	t := lambda * (bound - target) / norm
	for b := range md.blocks {
		bl := &md.blocks[b]
		cols := md.size[bl.c]
		q, mul, pr, pc := bl.q, bd.mul[b], bd.pickR[b], bd.pickC[b]
		xc := bd.x[bl.c]
		rowTheta := bd.rowWeight(bl.r)
		for j := range md.size[bl.r] {
			th := rowTheta(j)
			off := j * cols
			for i := range cols {
				e := off + i
				g := 0.0
				if pc[e] && xc[i] {
					g = 1
				}
				if pr[e] {
					g -= th
				}
				if g == 0 {
					continue
				}
				v := mul[e] - t*g
				mul[e] = min(max(v, 0), q[e])
			}
		}
	}
	return true
}

// rowWeight is how much of row channel j of map m the bound's solution
// keeps: the hub's pick, or the leaf knapsack's fraction.
func (bd *bounder) rowWeight(m int) func(int) float64 {
	if lp := bd.md.leafPos[m]; lp >= 0 {
		th := bd.theta[lp]
		return func(j int) float64 { return th[j] }
	}
	x := bd.x[m]
	return func(j int) float64 {
		if x[j] {
			return 1
		}
		return 0
	}
}

// lagrangian runs up to iters subgradient iterations of the split bound at
// (n, fix) from the current multipliers and returns the least bound seen;
// it stops as soon as the bound falls to prune or below. best receives the
// hub picks of the best iterate, dis the branching scores of the last.
func (bd *bounder) lagrangian(n []int, fix fixing, hubOff []int, prune float64, iters int, lambda float64, best [][]bool, dis [][]float64) float64 {
	low := math.Inf(1)
	stall := 0
	for it := 0; it < iters; it++ {
		v := bd.splitBound(n, fix, hubOff)
		if math.IsInf(v, -1) {
			return v
		}
		if v < low {
			if low-v > 1e-9*math.Abs(v) {
				stall = 0
			}
			low = v
			for _, h := range bd.md.hubs {
				copy(best[h], bd.x[h])
			}
		} else {
			stall++
		}
		if low <= prune {
			return low
		}
		if stall >= 10 {
			lambda /= 2
			stall = 0
		}
		if !bd.subgradientStep(v, prune, lambda, dis) {
			return low
		}
	}
	return low
}
