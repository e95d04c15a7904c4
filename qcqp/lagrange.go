package qcqp

import (
	"math"
	"time"
)

// minItersPerStep subgradient iterations run even past the Step's
// deadline: stopping a screening after one or two would send the vector
// to branching with a bound far above what a few more steps give.
const minItersPerStep = 10

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
	bd.compConst = 0
	for b := range md.blocks {
		bl := &md.blocks[b]
		mul, pc := bd.mul[b], bd.pickC[b]
		rowNZ, colNZ := bd.rowNZ[b], bd.colNZ[b]
		rowPicked, colPicked := bd.rowPicked[b], bd.colPicked[b]
		cols := md.size[bl.c]
		kc := n[bl.c]
		alC := bd.allowed[bl.c]
		alR := bd.allowed[bl.r]
		// Rows whose multipliers are all zero take their sum from the
		// prefix table; their picks are made only if the subgradient
		// needs them.
		usePref := len(alC) == cols
		rv := bd.rowVal[bl.r]
		for _, j32 := range alR {
			j := int(j32)
			if usePref && !rowNZ[j] {
				rv[j] += bl.pref[j][min(kc, cols)]
				rowPicked[j] = false
				continue
			}
			rv[j] += bd.pickRow(b, j, kc)
		}
		kr := n[bl.r]
		if md.hubPos[bl.r] < 0 {
			kr = bd.kmax[md.leafPos[bl.r]]
		}
		cv := bd.colVal[bl.c]
		colMark := bd.colMark[:md.size[bl.r]]
		for _, i32 := range alC {
			i := int(i32)
			colPicked[i] = false
			if !colNZ[i] {
				continue
			}
			colPicked[i] = true
			vals := bd.tmp2[:len(alR)]
			for k, j := range alR {
				e := int(j)*cols + i
				vals[k] = mul[e]
				pc[e] = false
			}
			if kr >= len(alR) {
				for k, j := range alR {
					cv[i] += vals[k]
					pc[int(j)*cols+i] = true
				}
				continue
			}
			sel := bd.tmp[:len(vals)]
			copy(sel, vals)
			s, tau := topK(sel, kr)
			clear(colMark)
			markTop(vals, alR, kr, tau, colMark)
			for _, j := range alR {
				if colMark[j] {
					pc[int(j)*cols+i] = true
				}
			}
			cv[i] += s
		}
		bd.complement(b, kr >= len(alR) && md.hubPos[bl.r] < 0, alR, alC, kc)
	}
	total := md.konst + bd.compConst
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

// complement tightens a leaf block whose columns each earn their whole
// column of multipliers (the leaf may keep every row): the kept columns
// T then earn sum_{i in T} sum_j M[j,i], which counts the rows the leaf
// drops too, and
//
//	sum_{i in T, j kept} M[j,i] <= sum_{i in T} sum_j M[j,i] - sum_{j dropped} b_j
//
// where b_j, the sum of row j's n_c smallest multipliers over the
// allowed columns, is the least the n_c kept columns can take from row
// j. So every kept row earns b_j and the bound falls by sum_j b_j (a
// constant). Rows whose multipliers are all zero have b_j = 0.
func (bd *bounder) complement(b int, on bool, alR, alC []int32, kc int) {
	bd.compOn[b] = on && !bd.noComplement
	if !bd.compOn[b] {
		return
	}
	md := bd.md
	bl := &md.blocks[b]
	cols := md.size[bl.c]
	mul, pb, rowBot, rowNZ := bd.mul[b], bd.pickB[b], bd.rowBot[b], bd.rowNZ[b]
	rv := bd.rowVal[bl.r]
	for _, j32 := range alR {
		j := int(j32)
		if rowBot[j] {
			clear(pb[j*cols : (j+1)*cols])
		}
		rowBot[j] = false
		if !rowNZ[j] {
			continue
		}
		rowBot[j] = true
		off := j * cols
		vals := bd.tmp2[:len(alC)]
		for k, i := range alC {
			vals[k] = -mul[off+int(i)]
		}
		s := 0.0
		if kc >= len(alC) {
			for k, i := range alC {
				s -= vals[k]
				pb[off+int(i)] = true
			}
		} else if kc > 0 {
			sel := bd.tmp[:len(vals)]
			copy(sel, vals)
			t, tau := topK(sel, kc)
			s = -t
			markTop(vals, alC, kc, tau, pb[off:off+cols])
		}
		rv[j] += s
		bd.compConst -= s
	}
}

// pickRow selects the kc best allowed columns of row j of block b under
// q-M, marks them, and returns their sum.
func (bd *bounder) pickRow(b, j, kc int) float64 {
	bl := &bd.md.blocks[b]
	q, mul, pr := bl.q, bd.mul[b], bd.pickR[b]
	cols := bd.md.size[bl.c]
	alC := bd.allowed[bl.c]
	off := j * cols
	row := pr[off : off+cols]
	clear(row)
	vals := bd.tmp2[:len(alC)]
	for k, i := range alC {
		vals[k] = q[off+int(i)] - mul[off+int(i)]
	}
	bd.rowPicked[b][j] = true
	if kc >= len(alC) {
		s := 0.0
		for k, i := range alC {
			s += vals[k]
			row[i] = true
		}
		return s
	}
	sel := bd.tmp[:len(vals)]
	copy(sel, vals)
	s, tau := topK(sel, kc)
	markTop(vals, alC, kc, tau, row)
	return s
}

// topK moves the k largest of v to its front and returns their sum and
// the smallest of them (0 < k < len(v)).
func topK(v []float64, k int) (float64, float64) {
	selectTopF(v, k)
	s, tau := 0.0, math.Inf(1)
	for _, x := range v[:k] {
		s += x
		tau = min(tau, x)
	}
	return s, tau
}

// markTop marks, among the entries vals[k] at positions at[k], the k
// largest: those above tau and as many equal to tau as are needed.
func markTop(vals []float64, at []int32, k int, tau float64, mark []bool) {
	above := 0
	for _, v := range vals {
		if v > tau {
			above++
		}
	}
	ties := k - above
	for n, v := range vals {
		if v > tau || (v == tau && ties > 0) {
			if v == tau {
				ties--
			}
			mark[at[n]] = true
		}
	}
}

// subgradientStep moves the multipliers against the subgradient of the
// bound just evaluated, with the Polyak step toward target, and writes
// into dis, per free-map channel, how much rows and columns disagree
// about it (the branching score). It returns false when the subgradient
// is zero (the bound cannot be lowered from here).
//
// The subgradient at entry (j, i) is [column i is kept and picks row j]
// minus (row j's weight) * [row j picks column i]; only rows of positive
// weight and kept, picked columns have entries that are not zero.
func (bd *bounder) subgradientStep(n []int, bound, target, lambda float64, dis [][]float64) bool {
	md := bd.md
	for m := range dis {
		clear(dis[m])
	}
	norm := 0.0
	for pass := range 2 {
		t := 0.0
		if pass == 1 {
			if norm == 0 {
				return false
			}
			t = lambda * (bound - target) / norm
		}
		for b := range md.blocks {
			bl := &md.blocks[b]
			cols := md.size[bl.c]
			q, mul, pr, pc := bl.q, bd.mul[b], bd.pickR[b], bd.pickC[b]
			xc := bd.x[bl.c]
			colPicked, rowPicked := bd.colPicked[b], bd.rowPicked[b]
			rowNZ, colNZ := bd.rowNZ[b], bd.colNZ[b]
			active := bd.active[:0]
			for i := range cols {
				if xc[i] && colPicked[i] {
					active = append(active, int32(i))
				}
			}
			bd.active = active
			rowTheta := bd.rowWeight(bl.r)
			dr, dc := dis[bl.r], dis[bl.c]
			comp := bd.compOn[b]
			pb, rowBot := bd.pickB[b], bd.rowBot[b]
			for j := range md.size[bl.r] {
				th := rowTheta(j)
				off := j * cols
				if bot := comp && rowBot[j]; th > 0 || bot {
					if !rowPicked[j] {
						bd.pickRow(b, j, n[bl.c])
					}
					for i := range cols {
						e := off + i
						g := 0.0
						if pc[e] && xc[i] && colPicked[i] {
							g = 1
						}
						if pr[e] {
							g -= th
						}
						if bot && pb[e] {
							// b_j: earned by the row when kept, taken
							// off the constant always
							g -= 1 - th
						}
						if g == 0 {
							continue
						}
						if pass == 0 {
							norm += g * g
							dc[i] += g
							dr[j] -= g
							continue
						}
						v := min(max(mul[e]-t*g, 0), q[e])
						mul[e] = v
						if v > 0 {
							rowNZ[j], colNZ[i] = true, true
						}
					}
					continue
				}
				for _, i32 := range active {
					i := int(i32)
					e := off + i
					if !pc[e] {
						continue
					}
					if pass == 0 {
						norm++
						dc[i]++
						dr[j]--
						continue
					}
					v := min(max(mul[e]-t, 0), q[e])
					mul[e] = v
				}
			}
		}
	}
	bd.refreshNonZero()
	return true
}

// refreshNonZero recomputes which rows and columns of the multipliers
// hold anything, so that rows emptied by the projection go back to the
// prefix tables.
func (bd *bounder) refreshNonZero() {
	md := bd.md
	for b := range md.blocks {
		bl := &md.blocks[b]
		cols := md.size[bl.c]
		mul := bd.mul[b]
		rowNZ, colNZ := bd.rowNZ[b], bd.colNZ[b]
		clear(colNZ)
		for j := range rowNZ {
			if !rowNZ[j] {
				continue
			}
			any := false
			for i, v := range mul[j*cols : (j+1)*cols] {
				if v > 0 {
					any = true
					colNZ[i] = true
				}
			}
			rowNZ[j] = any
		}
	}
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
// hub picks of the best iterate, dis the branching scores of the last. It
// also returns the iterations used. Past deadline it stops after the
// iteration under way, so that one Step of a large network stays short.
func (bd *bounder) lagrangian(n []int, fix fixing, hubOff []int, prune float64, iters int, lambda float64, best [][]bool, dis [][]float64, deadline time.Time) (float64, int) {
	low := math.Inf(1)
	stall := 0
	it := 0
	for ; it < iters; it++ {
		if it >= min(iters, minItersPerStep) && (bd.md.clk.now().After(deadline) || bd.md.clk.cancelled()) {
			break // the bound so far is valid; the step is over
		}
		v := bd.splitBound(n, fix, hubOff)
		if math.IsInf(v, -1) {
			return v, it + 1
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
			return low, it + 1
		}
		if stall >= 10 {
			lambda /= 2
			stall = 0
		}
		if !bd.subgradientStep(n, v, prune, lambda, dis) {
			return low, it + 1
		}
	}
	return low, it
}
