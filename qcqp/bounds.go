package qcqp

import (
	"math"
)

// Upper bounds at fixed hub counts (QCQP-SOLVER.md 3.3).
//
// Every pair weight q[j,i] between a row channel j and a column channel i
// is split as (q-M)[j,i] + M[j,i] with 0 <= M <= q. The (q-M) part is
// bounded from the row side: if row j is kept, it earns at most the sum
// of its n_c largest entries over the column map's allowed channels. The M
// part is bounded from the column side: column i earns at most the sum of
// the k largest entries of its column within each block, k being the
// most rows the row map can keep (its count for a hub, kmax for a leaf).
// Those earnings are linear in the masks, so the best hub masks are top-n
// picks and the leaves a fractional knapsack. M = 0 is the cheap
// row-limited bound; the subgradient method moves M to lower the bound.

// bounder evaluates bounds; it owns the multipliers, which are carried
// from one evaluation to the next (a warm start).
type bounder struct {
	md  *model
	ls  *leafSolver
	mul [][]float64 // per block, like q
	// scratch
	pickR, pickC [][]bool
	// per block: rows and columns whose multipliers may be non-zero, and
	// whose picks were made in the last evaluation
	rowNZ, colNZ, rowPicked, colPicked [][]bool
	active                             []int32
	rowVal                             [][]float64
	colVal                             [][]float64
	theta                              [][]float64 // per leaf
	x                                  [][]bool    // per free map: hub channels picked
	base                               []float64
	kappa                              [][]float64
	kmax                               []int
	ids                                []int32
	tmp, tmp2                          []float64
	colMark                            []bool
	leafVals                           [][]float64
	allowed                            [][]int32 // per free map, the channels not excluded
	// The complement form of a leaf block whose columns count every row
	// (lagrange.go): per block, whether the last evaluation used it, the
	// entries of each row's n_c smallest multipliers and the rows that
	// have them; compConst is minus the sum of those smallest sums.
	compOn    []bool
	pickB     [][]bool
	rowBot    [][]bool
	compConst float64
	// noComplement turns it off, for tests and comparisons
	noComplement bool
}

func newBounder(md *model) *bounder {
	bd := &bounder{md: md, ls: newLeafSolver(md), base: make([]float64, len(md.cons)), kmax: make([]int, len(md.leaves))}
	for range md.cons {
		bd.kappa = append(bd.kappa, make([]float64, len(md.leaves)))
	}
	for _, b := range md.blocks {
		bd.mul = append(bd.mul, make([]float64, len(b.q)))
		bd.pickR = append(bd.pickR, make([]bool, len(b.q)))
		bd.pickC = append(bd.pickC, make([]bool, len(b.q)))
		bd.rowNZ = append(bd.rowNZ, make([]bool, md.size[b.r]))
		bd.rowPicked = append(bd.rowPicked, make([]bool, md.size[b.r]))
		bd.colNZ = append(bd.colNZ, make([]bool, md.size[b.c]))
		bd.colPicked = append(bd.colPicked, make([]bool, md.size[b.c]))
		bd.pickB = append(bd.pickB, make([]bool, len(b.q)))
		bd.rowBot = append(bd.rowBot, make([]bool, md.size[b.r]))
	}
	bd.compOn = make([]bool, len(md.blocks))
	maxC := 1
	for _, c := range md.size {
		bd.rowVal = append(bd.rowVal, make([]float64, c))
		bd.colVal = append(bd.colVal, make([]float64, c))
		bd.x = append(bd.x, make([]bool, c))
		bd.allowed = append(bd.allowed, make([]int32, 0, c))
		maxC = max(maxC, c)
	}
	for _, m := range md.leaves {
		bd.theta = append(bd.theta, make([]float64, md.size[m]))
		bd.leafVals = append(bd.leafVals, bd.rowVal[m])
	}
	bd.ids = make([]int32, maxC)
	bd.tmp = make([]float64, maxC)
	bd.tmp2 = make([]float64, maxC)
	bd.colMark = make([]bool, maxC)
	return bd
}

// cheap is the row-limited bound (M = 0) over the box lo <= n <= hi of hub
// counts (indexed by free map): rows take their top-hi entries, costs are
// taken at their least over the box. It is -Inf when no count vector of
// the box fits.
func (bd *bounder) cheap(lo, hi []int) float64 {
	md := bd.md
	md.leafCostsMin(lo, hi, bd.base, bd.kappa)
	for c := range md.cons {
		if bd.base[c] > md.cons[c].budget+1e-9*math.Max(1, math.Abs(md.cons[c].budget)) && len(md.leaves) == 0 {
			return math.Inf(-1)
		}
	}
	total := md.konst
	for m := range md.free {
		v := bd.rowVal[m]
		copy(v, md.lin[m])
		for _, b := range md.rowsOf[m] {
			bl := &md.blocks[b]
			k := hi[bl.c]
			for j := range v {
				v[j] += bl.pref[j][k]
			}
		}
		if md.hubPos[m] >= 0 {
			total += topSum(v, hi[m], bd.tmp)
		}
	}
	if len(md.leaves) > 0 {
		lf := bd.ls.fractional(bd.leafVals, bd.base, bd.kappa, nil)
		return total + lf
	}
	for c := range md.cons {
		if bd.base[c] > md.cons[c].budget+1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
			return math.Inf(-1)
		}
	}
	return total
}

// topSum is the sum of the k largest of v (k may exceed len(v)).
func topSum(v []float64, k int, tmp []float64) float64 {
	if k >= len(v) {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s
	}
	if k <= 0 {
		return 0
	}
	t := tmp[:len(v)]
	copy(t, v)
	selectTopF(t, k)
	s := 0.0
	for _, x := range t[:k] {
		s += x
	}
	return s
}

// selectTopF moves the k largest values of t to its front (any order).
func selectTopF(t []float64, k int) {
	lo, hi := 0, len(t)-1
	for lo < hi {
		p := t[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for t[i] > p {
				i++
			}
			for t[j] < p {
				j--
			}
			if i <= j {
				t[i], t[j] = t[j], t[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// selectTopIdx reorders ids so that its first k entries are those of
// largest key[id].
func selectTopIdx(ids []int32, key []float64, k int) {
	if k <= 0 || k >= len(ids) {
		return
	}
	lo, hi := 0, len(ids)-1
	for lo < hi {
		p := key[ids[(lo+hi)/2]]
		i, j := lo, hi
		for i <= j {
			for key[ids[i]] > p {
				i++
			}
			for key[ids[j]] < p {
				j--
			}
			if i <= j {
				ids[i], ids[j] = ids[j], ids[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// sideBound is the split bound with M = alpha*q on every block, which
// the prefix tables of rows and columns evaluate without selection: the
// row side earns (1-alpha) times its row's top entries, the column side
// alpha times its column's. Each block's alpha is chosen in turn from a
// few values while that lowers the bound, until it falls to prune. Like cheap it holds over the
// box lo..hi, and it is never above cheap (all alpha = 0). alpha receives
// the choice.
func (bd *bounder) sideBound(lo, hi []int, alpha []float64, prune float64) float64 {
	md := bd.md
	md.leafCostsMin(lo, hi, bd.base, bd.kappa)
	if !md.leafKmax(bd.base, bd.kappa, bd.kmax) {
		return math.Inf(-1)
	}
	clear(alpha)
	best := bd.sideEval(lo, hi, alpha)
	if best <= prune {
		return best
	}
	// Deep nets have many blocks; one pass over them is most of the gain.
	passes, steps := 3, sideSteps[:]
	if len(md.blocks) > 16 {
		passes, steps = 1, sideStepsCoarse[:]
	}
	for range passes {
		moved := false
		for b := range md.blocks {
			was := alpha[b]
			for _, a := range steps {
				if a == was {
					continue
				}
				alpha[b] = a
				if v := bd.sideEval(lo, hi, alpha); v < best-1e-12*math.Abs(best) {
					best, moved, was = v, true, a
					if best <= prune {
						return best
					}
				}
			}
			alpha[b] = was
		}
		if !moved {
			break
		}
	}
	return best
}

// sideSteps are the shares of a block the side bound tries on the column
// side.
var (
	sideSteps       = [...]float64{0, 0.25, 0.5, 0.75, 1}
	sideStepsCoarse = [...]float64{0, 0.5, 1}
)

// sideEval evaluates one choice of shares over the counts lo..hi (costs
// in bd.base, bd.kappa and bd.kmax already set).
func (bd *bounder) sideEval(lo, hi []int, alpha []float64) float64 {
	md := bd.md
	for m := range md.free {
		copy(bd.rowVal[m], md.lin[m])
	}
	total := md.konst
	for b := range md.blocks {
		bl := &md.blocks[b]
		a := alpha[b]
		if a < 1 {
			v := bd.rowVal[bl.r]
			k := hi[bl.c]
			for j := range v {
				v[j] += (1 - a) * bl.pref[j][k]
			}
		}
		if a == 0 {
			continue
		}
		k := hi[bl.r]
		if lp := md.leafPos[bl.r]; lp >= 0 {
			k = bd.kmax[lp]
		}
		v := bd.rowVal[bl.c]
		for i := range v {
			v[i] += a * bl.cpref[i][k]
		}
		if rows, cols := md.size[bl.r], md.size[bl.c]; md.leafPos[bl.r] >= 0 && k >= rows {
			// The complement form (lagrange.go, complement) with M =
			// alpha*q: the at least lo columns kept take at least the
			// sum of row j's lo smallest entries from it.
			n := min(lo[bl.c], cols)
			rv := bd.rowVal[bl.r]
			for j := range rv {
				bot := a * (bl.pref[j][cols] - bl.pref[j][cols-n])
				rv[j] += bot
				total -= bot
			}
		}
	}
	for _, h := range md.hubs {
		total += topSum(bd.rowVal[h], hi[h], bd.tmp)
	}
	if len(md.leaves) > 0 {
		lf := bd.ls.fractional(bd.leafVals, bd.base, bd.kappa, nil)
		if math.IsInf(lf, -1) {
			return lf
		}
		total += lf
	} else {
		for c := range md.cons {
			if bd.base[c] > md.cons[c].budget+1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
				return math.Inf(-1)
			}
		}
	}
	return total
}
