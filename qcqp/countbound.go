package qcqp

import (
	"math"
	"slices"
	"time"
)

// The count-level Lagrangian bound: an upper bound on the optimum over
// every count vector at once, cheap enough to compute before any search
// and useful where the hub-count vectors cannot be enumerated (plain
// chains such as MobileNet, and nets with dozens of hubs such as
// GoogLeNet or DenseNet; QCQP-SOLVER.md 5.5).
//
// Three relaxations, each of which can only raise the maximum:
//   - each block chooses its own channels: with n_r rows and n_c columns
//     it is worth at most V(n_r, n_c), the smaller of its top-n_r rows'
//     top-n_c sums and its top-n_c columns' top-n_r sums; a map's linear
//     and self-coupled terms likewise at its own count;
//   - counts are grouped into at most countCells cells per map, each cell
//     taking its values at the cell's largest counts and its costs at
//     their least over the cell (importances are non-negative, so values
//     grow with the counts);
//   - one constraint is dualised with a multiplier lambda >= 0 (the
//     others dropped), which leaves a sum of pairwise functions of the
//     cells, bounded above by the sum of their separate maxima.
//
// The last bound is tightened without changing the function it bounds by
// max-sum diffusion: moving a function phi(n_m) from a map's own term to
// a pair's term (or back) leaves the sum unchanged at every count vector,
// and averaging a map's max-marginals over its pairs lowers the sum of
// maxima. Every lambda and every reparametrisation gives a valid bound;
// the smallest found is kept.

// countCells caps the cells of a map's counts (a map this narrow or
// narrower keeps one cell per count). 64 keeps every count of a CIFAR
// ResNet's maps apart: on ResNet-56 with random importance at 30 % of
// the MACs the bound fell from 1007.84 (48 cells) to 989.89, against an
// incumbent of 952.52, for 1.3-2.3 times the bound's time.
//
// A variable only so that a test can make cells span several counts on
// networks small enough to enumerate.
var countCells = 64

type cellRange struct{ lo, hi int }

type countPair struct {
	a, b   int       // free maps, a < b
	v      []float64 // value bound per cell pair, cells of a by cells of b
	quad   []float64 // per constraint, the coefficient of n_a n_b
	phiA   []float64 // per cell of a: the part moved into this pair
	phiB   []float64
	cost   []float64 // the current constraint's least cost per cell pair
	na, nb int
}

type countRelax struct {
	md    *model
	at    countAt // the evaluation that gave run.best (countbox.go)
	cells [][]cellRange
	unary [][]float64 // per free map, per cell: linear and self-coupled value
	pairs []countPair
	adj   [][]int // per free map, its pairs
	run   countRun
	// scratch
	ucost [][]float64 // per free map, per cell: the constraint's least cost
	mu    [][]float64
}

// newCountRelax builds the tables, or returns nil when some importance is
// negative (values would not grow with the counts).
func newCountRelax(md *model) *countRelax {
	for m := range md.free {
		if slices.ContainsFunc(md.lin[m], func(v float64) bool { return v < 0 }) {
			return nil
		}
	}
	for b := range md.blocks {
		if slices.ContainsFunc(md.blocks[b].q, func(v float64) bool { return v < 0 }) {
			return nil
		}
	}
	cr := &countRelax{md: md, run: countRun{best: math.Inf(1)}}
	nf := len(md.free)
	cr.adj = make([][]int, nf)
	for m, c := range md.size {
		cr.cells = append(cr.cells, countGrid(md.floor[m], c))
		u := make([]float64, len(cr.cells[m]))
		pref := topPrefix(md.lin[m])
		for t, cl := range cr.cells[m] {
			u[t] = pref[cl.hi]
		}
		cr.unary = append(cr.unary, u)
		cr.ucost = append(cr.ucost, make([]float64, len(u)))
	}
	pairOf := map[pairKey]int{}
	pair := func(a, b int) *countPair {
		k := pairKey{min(a, b), max(a, b)}
		if p, ok := pairOf[k]; ok {
			return &cr.pairs[p]
		}
		na, nb := len(cr.cells[k.a]), len(cr.cells[k.b])
		pairOf[k] = len(cr.pairs)
		cr.adj[k.a] = append(cr.adj[k.a], len(cr.pairs))
		cr.adj[k.b] = append(cr.adj[k.b], len(cr.pairs))
		cr.pairs = append(cr.pairs, countPair{a: k.a, b: k.b, na: na, nb: nb, v: make([]float64, na*nb),
			quad: make([]float64, len(md.cons)), phiA: make([]float64, na), phiB: make([]float64, nb), cost: make([]float64, na*nb)})
		return &cr.pairs[len(cr.pairs)-1]
	}
	for b := range md.blocks {
		bl := &md.blocks[b]
		if bl.self {
			cr.addSelf(bl)
			continue
		}
		cr.addBlock(bl, pair(bl.r, bl.c))
	}
	for c := range md.cons {
		for _, t := range md.cons[c].quad {
			if t.a != t.b {
				pair(t.a, t.b).quad[c] += t.coef
			}
		}
	}
	return cr
}

// countGrid splits floor..c into at most countCells cells.
func countGrid(floor, c int) []cellRange {
	w := c - floor + 1
	n := min(w, countCells)
	out := make([]cellRange, n)
	lo := floor
	for t := range n {
		hi := floor - 1 + int(math.Round(float64(w)*float64(t+1)/float64(n)))
		hi = max(hi, lo)
		out[t] = cellRange{lo, hi}
		lo = hi + 1
	}
	return out
}

// sortDecreasing sorts s from the largest value down (NaNs last), as a
// SortFunc comparing in reverse would, without a call per comparison:
// compiling DenseNet-121's blocks spent most of its second there.
func sortDecreasing(s []float64) {
	slices.Sort(s)
	slices.Reverse(s)
}

// topPrefix is the prefix sums of v in decreasing order.
func topPrefix(v []float64) []float64 {
	s := slices.Clone(v)
	sortDecreasing(s)
	p := make([]float64, len(s)+1)
	for i, x := range s {
		p[i+1] = p[i] + x
	}
	return p
}

// addSelf adds a self-coupled block to its map's own term: k channels
// together are worth at most the top k rows' top-k sums.
func (cr *countRelax) addSelf(bl *block) {
	m := bl.r
	vals := make([]float64, cr.md.size[m])
	for t, cl := range cr.cells[m] {
		for j := range vals {
			vals[j] = bl.pref[j][cl.hi]
		}
		cr.unary[m][t] += topPrefix(vals)[cl.hi]
	}
}

// addBlock adds V(n_r, n_c) at every cell pair's largest counts to p.
func (cr *countRelax) addBlock(bl *block, p *countPair) {
	md := cr.md
	cr0, cc0 := cr.cells[bl.r], cr.cells[bl.c]
	bound := make([]float64, len(cr0)*len(cc0)) // rows' cells by columns'
	rowVals := make([]float64, md.size[bl.r])
	for u, cu := range cc0 {
		for j := range rowVals {
			rowVals[j] = bl.pref[j][cu.hi]
		}
		pr := topPrefix(rowVals)
		for t, ct := range cr0 {
			bound[t*len(cc0)+u] = pr[ct.hi]
		}
	}
	colVals := make([]float64, md.size[bl.c])
	for t, ct := range cr0 {
		for i := range colVals {
			colVals[i] = bl.cpref[i][ct.hi]
		}
		pc := topPrefix(colVals)
		for u, cu := range cc0 {
			bound[t*len(cc0)+u] = min(bound[t*len(cc0)+u], pc[cu.hi])
		}
	}
	for t := range cr0 {
		for u := range cc0 {
			at := t*p.nb + u
			if bl.r != p.a {
				at = u*p.nb + t
			}
			p.v[at] += bound[t*len(cc0)+u]
		}
	}
}

// setConstraint writes constraint c's least cost per cell and cell pair.
func (cr *countRelax) setConstraint(c int) {
	md := cr.md
	cp := &md.cons[c]
	self := make([]float64, len(md.free))
	for _, t := range cp.quad {
		if t.a == t.b {
			self[t.a] += t.coef
		}
	}
	for m, cells := range cr.cells {
		for t, cl := range cells {
			lo, hi := float64(cl.lo), float64(cl.hi)
			cr.ucost[m][t] = min(cp.lin[m]*lo, cp.lin[m]*hi) + min(self[m]*lo*lo, self[m]*hi*hi)
		}
	}
	for k := range cr.pairs {
		p := &cr.pairs[k]
		q := p.quad[c]
		for t, ct := range cr.cells[p.a] {
			for u, cu := range cr.cells[p.b] {
				a0, a1, b0, b1 := float64(ct.lo), float64(ct.hi), float64(cu.lo), float64(cu.hi)
				p.cost[t*p.nb+u] = min(q*a0*b0, q*a0*b1, q*a1*b0, q*a1*b1)
			}
		}
	}
}

// unaryAt is map m's own term at cell t for multiplier lambda, with the
// parts moved into its pairs taken back.
func (cr *countRelax) unaryAt(m, t int, lambda float64) float64 {
	v := cr.unary[m][t] - lambda*cr.ucost[m][t]
	for _, k := range cr.adj[m] {
		p := &cr.pairs[k]
		if p.a == m {
			v += p.phiA[t]
		} else {
			v += p.phiB[t]
		}
	}
	return v
}

// marginal writes into out the max over the other map's cells of pair
// k's term, for each cell of map m.
func (cr *countRelax) marginal(k, m int, lambda float64, out []float64) {
	p := &cr.pairs[k]
	for i := range out {
		out[i] = math.Inf(-1)
	}
	for t := range p.na {
		row := p.v[t*p.nb : (t+1)*p.nb]
		cost := p.cost[t*p.nb : (t+1)*p.nb]
		best := math.Inf(-1)
		for u, v := range row {
			x := v - lambda*cost[u] - p.phiB[u]
			if p.a != m {
				out[u] = max(out[u], x-p.phiA[t])
				continue
			}
			best = max(best, x)
		}
		if p.a == m {
			out[t] = best - p.phiA[t]
		}
	}
}

// diffuse makes, for each map in turn, its own term and each pair's
// max-marginal equal to their average.
func (cr *countRelax) diffuse(lambda float64) {
	for m, adj := range cr.adj {
		if len(adj) == 0 {
			continue
		}
		n := len(cr.cells[m])
		for len(cr.mu) < len(adj)+1 {
			cr.mu = append(cr.mu, nil)
		}
		target := growTo(&cr.mu[0], n)
		for t := range n {
			target[t] = cr.unaryAt(m, t, lambda)
		}
		for e, k := range adj {
			mu := growTo(&cr.mu[e+1], n)
			cr.marginal(k, m, lambda, mu)
			for t := range n {
				target[t] += mu[t]
			}
		}
		inv := 1 / float64(len(adj)+1)
		for t := range n {
			target[t] *= inv
		}
		for e, k := range adj {
			p := &cr.pairs[k]
			phi := p.phiB
			if p.a == m {
				phi = p.phiA
			}
			for t, mu := range cr.mu[e+1][:n] {
				if !math.IsInf(mu, -1) {
					phi[t] += mu - target[t]
				}
			}
		}
	}
}

func growTo(s *[]float64, n int) []float64 {
	if cap(*s) < n {
		*s = make([]float64, n)
	}
	*s = (*s)[:n]
	return *s
}

// total is the bound at lambda: lambda times the room plus the sum of
// every term's maximum.
func (cr *countRelax) total(c int, lambda float64) float64 {
	md := cr.md
	sum := md.konst + lambda*(md.cons[c].budget-md.cons[c].c0)
	for m := range cr.cells {
		best := math.Inf(-1)
		for t := range cr.cells[m] {
			best = max(best, cr.unaryAt(m, t, lambda))
		}
		sum += best
	}
	for k := range cr.pairs {
		p := &cr.pairs[k]
		best := math.Inf(-1)
		for t := range p.na {
			for u := range p.nb {
				at := t*p.nb + u
				best = max(best, p.v[at]-lambda*p.cost[at]-p.phiA[t]-p.phiB[u])
			}
		}
		sum += best
	}
	return sum
}

// Sweeps of diffusion per multiplier on the coarse scan and in the
// refinement.
const (
	countScanSweeps   = 3
	countRefineSweeps = 12
	countRefineSteps  = 14
)

// run is where the multiplier search stands: one constraint at a time, a
// scan over lambda then a golden-section refinement, one evaluation per
// step so that a Solver's Step stays short.
type countRun struct {
	con    int  // constraint being dualised
	ready  bool // con's costs are set
	scale  float64
	scanAt int // next scan point
	// best scan point and the golden-section state over log lambda
	bestLog, bestV float64
	gStep          int
	a, b, x1, x2   float64
	f1, f2         float64
	best           float64 // the smallest bound so far
}

// Multipliers of the scan are scale*2^(i/2) for i in scanFrom..scanTo.
const scanFrom, scanTo = -12, 12

// start sets constraint c up; false when dualising it cannot help (no
// cost grows with the counts, or no room).
func (cr *countRelax) start(c int) bool {
	cr.setConstraint(c)
	cp := &cr.md.cons[c]
	// The scale of lambda: the value per unit of cost of keeping
	// everything.
	full, fullCost := cr.md.konst, 0.0
	for m := range cr.cells {
		last := len(cr.cells[m]) - 1
		full += cr.unary[m][last]
		fullCost += cr.ucost[m][last]
	}
	for k := range cr.pairs {
		p := &cr.pairs[k]
		full += p.v[len(p.v)-1]
		fullCost += p.cost[len(p.cost)-1]
	}
	if fullCost <= 0 || cp.budget-cp.c0 <= 0 || full <= 0 {
		return false
	}
	r := &cr.run
	r.scale, r.scanAt, r.bestV, r.gStep = full/fullCost, scanFrom, math.Inf(1), 0
	for k := range cr.pairs {
		clear(cr.pairs[k].phiA)
		clear(cr.pairs[k].phiB)
	}
	return true
}

// eval diffuses at lambda = scale*2^logL and returns the bound there.
func (cr *countRelax) eval(logL float64, sweeps int) float64 {
	l := cr.run.scale * math.Exp2(logL)
	for range sweeps {
		cr.diffuse(l)
	}
	v := cr.total(cr.run.con, l)
	if v < cr.run.best {
		cr.run.best = v
		cr.keepBest(l)
	}
	return v
}

// step runs one evaluation; it returns false when the search is over.
// cr.run.best is a valid bound after every step.
func (cr *countRelax) step() bool {
	r := &cr.run
	const phi = 0.6180339887498949
	for r.con < len(cr.md.cons) {
		if !r.ready {
			if !cr.start(r.con) {
				r.con++
				continue
			}
			r.ready = true
		}
		switch {
		case r.scanAt <= scanTo:
			lg := float64(r.scanAt) / 2
			if v := cr.eval(lg, countScanSweeps); v < r.bestV {
				r.bestLog, r.bestV = lg, v
			}
			r.scanAt++
		case r.gStep == 0:
			// Golden-section search over log lambda around the best scan
			// point (the bound is convex in lambda for an exact inner
			// maximum; any point tried is valid either way).
			r.a, r.b = r.bestLog-0.5, r.bestLog+0.5
			r.x1, r.x2 = r.b-phi*(r.b-r.a), r.a+phi*(r.b-r.a)
			r.f1 = cr.eval(r.x1, countRefineSweeps)
			r.gStep++
		case r.gStep == 1:
			r.f2 = cr.eval(r.x2, countRefineSweeps)
			r.gStep++
		case r.gStep < 2+countRefineSteps:
			if r.f1 < r.f2 {
				r.b, r.x2, r.f2 = r.x2, r.x1, r.f1
				r.x1 = r.b - phi*(r.b-r.a)
				r.f1 = cr.eval(r.x1, countRefineSweeps)
			} else {
				r.a, r.x1, r.f1 = r.x1, r.x2, r.f2
				r.x2 = r.a + phi*(r.b-r.a)
				r.f2 = cr.eval(r.x2, countRefineSweeps)
			}
			r.gStep++
		default:
			r.con++
			r.ready = false
			continue
		}
		return true
	}
	return false
}

// bound runs the whole search (or until deadline, when not zero) and
// returns the smallest bound found, +Inf when none was.
func (cr *countRelax) bound(deadline time.Time) float64 {
	for (deadline.IsZero() || time.Now().Before(deadline)) && cr.step() {
	}
	return cr.run.best
}
