package qcqp

import (
	"cmp"
	"maps"
	"slices"
)

// model is a Problem compiled for search: fixed maps are folded into
// constants and linear terms, layers joining the same two free maps are
// summed into one edge, and the free maps are split into hubs (a vertex
// cover of the coupling graph) and leaves (the independent rest), so that
// with every hub's mask fixed each leaf's objective is linear in its own
// mask and its cost linear in its own count (QCQP-SOLVER.md 3.1).
type model struct {
	p     *Problem
	free  []int // problem map of each free map
	local []int // free index of each problem map, -1 for fixed maps
	size  []int // channels of each free map
	floor []int // fewest channels each free map keeps (Map.Floor)
	lin   [][]float64
	konst float64
	// blocks are the edges between free maps, oriented rows x columns:
	// a leaf is always the row side; between two hubs the wider one is.
	blocks  []block
	rowsOf  [][]int // per free map, the blocks whose rows it is
	colsOf  [][]int // per free map, the blocks whose columns it is
	cons    []costPoly
	hubs    []int // free indices
	leaves  []int
	hubPos  []int // position in hubs of a free map, -1 for leaves
	leafPos []int // position in leaves of a free map, -1 for hubs
	// clk says when work must stop (the Solver's time limit and
	// cancellation; the wall clock with neither elsewhere)
	clk *clock
}

// block is the importance between a row map and a column map:
// q[j*cols+i] is what keeping row channel j and column channel i together
// is worth. pref[j][k] is the sum of row j's k largest entries.
type block struct {
	r, c int
	q    []float64
	pref [][]float64
	// cpref[i][k] is the sum of column i's k largest entries.
	cpref [][]float64
	self  bool // rows and columns are the same hub's channels
}

// costPoly is one constraint over the free counts: c0 + sum lin[m] n_m +
// sum coef n_a n_b <= budget.
type costPoly struct {
	name   string
	c0     float64
	lin    []float64
	quad   []quadTerm
	budget float64
}

type quadTerm struct {
	a, b int
	coef float64
}

func compile(p *Problem) *model {
	md := &model{p: p, local: make([]int, len(p.Maps)), clk: wallClock()}
	for m, mp := range p.Maps {
		md.local[m] = -1
		if !mp.Fixed {
			md.local[m] = len(md.free)
			md.free = append(md.free, m)
			md.size = append(md.size, mp.Channels)
			md.floor = append(md.floor, p.Maps[m].Floor())
			md.lin = append(md.lin, make([]float64, mp.Channels))
		}
	}
	nf := len(md.free)
	type key = pairKey
	mats := map[key][]float64{} // a <= b, rows a, columns b
	addPair := func(a, ia, b, ib int, w float64) {
		if a > b {
			a, ia, b, ib = b, ib, a, ia
		}
		k := key{a, b}
		q := mats[k]
		if q == nil {
			q = make([]float64, md.size[a]*md.size[b])
			mats[k] = q
		}
		q[ia*md.size[b]+ib] += w
	}
	for k := range p.Layers {
		l := &p.Layers[k]
		o := md.local[l.Out]
		if l.Diagonal {
			for j, w := range l.Importance {
				if o < 0 {
					md.konst += w
				} else {
					md.lin[o][j] += w
				}
			}
			continue
		}
		nIn := p.InWidth(l)
		off := 0
		for _, mi := range l.In {
			in := md.local[mi]
			cin := p.Maps[mi].Channels
			for j := 0; j < p.Maps[l.Out].Channels; j++ {
				row := l.Importance[j*nIn+off : j*nIn+off+cin]
				for i, w := range row {
					switch {
					case w == 0:
					case o < 0 && in < 0:
						md.konst += w
					case o < 0:
						md.lin[in][i] += w
					case in < 0:
						md.lin[o][j] += w
					case o == in && i == j:
						md.lin[o][j] += w
					default:
						addPair(o, j, in, i, w)
					}
				}
			}
			off += cin
		}
	}
	for _, c := range p.Constraints {
		cp := costPoly{name: c.Name, c0: c.Const, lin: make([]float64, nf), budget: c.Budget}
		qd := map[key]float64{}
		for _, t := range c.Terms {
			a := md.local[t.A]
			va := float64(p.Maps[t.A].Channels)
			if t.B < 0 {
				if a < 0 {
					cp.c0 += t.Coef * va
				} else {
					cp.lin[a] += t.Coef
				}
				continue
			}
			b := md.local[t.B]
			vb := float64(p.Maps[t.B].Channels)
			switch {
			case a < 0 && b < 0:
				cp.c0 += t.Coef * va * vb
			case a < 0:
				cp.lin[b] += t.Coef * va
			case b < 0:
				cp.lin[a] += t.Coef * vb
			default:
				qd[key{min(a, b), max(a, b)}] += t.Coef
			}
		}
		for k, v := range qd {
			if v != 0 {
				cp.quad = append(cp.quad, quadTerm{k.a, k.b, v})
			}
		}
		slices.SortFunc(cp.quad, func(x, y quadTerm) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
		md.cons = append(md.cons, cp)
	}
	md.splitHubs(slices.Collect(maps.Keys(mats)))
	md.rowsOf = make([][]int, nf)
	md.colsOf = make([][]int, nf)
	keys := make([]key, 0, len(mats))
	for k := range mats {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y key) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	for _, k := range keys {
		q := mats[k]
		r, c := k.a, k.b
		// Rows: a leaf; else the wider hub (QCQP-SOLVER.md 3.3b).
		flip := false
		switch {
		case r == c:
		case md.hubPos[r] >= 0 && md.hubPos[c] < 0:
			flip = true
		case md.hubPos[r] >= 0 && md.hubPos[c] >= 0 && md.size[c] > md.size[r]:
			flip = true
		}
		if flip {
			q = transpose(q, md.size[r], md.size[c])
			r, c = c, r
		}
		b := block{r: r, c: c, q: q, self: r == c}
		b.pref = make([][]float64, md.size[r])
		cols := md.size[c]
		for j := range b.pref {
			row := slices.Clone(q[j*cols : (j+1)*cols])
			sortDecreasing(row)
			pr := make([]float64, cols+1)
			for i, v := range row {
				pr[i+1] = pr[i] + v
			}
			b.pref[j] = pr
		}
		b.cpref = make([][]float64, cols)
		col := make([]float64, md.size[r])
		for i := range cols {
			for j := range col {
				col[j] = q[j*cols+i]
			}
			sortDecreasing(col)
			pr := make([]float64, len(col)+1)
			for j, v := range col {
				pr[j+1] = pr[j] + v
			}
			b.cpref[i] = pr
		}
		md.rowsOf[r] = append(md.rowsOf[r], len(md.blocks))
		md.colsOf[c] = append(md.colsOf[c], len(md.blocks))
		md.blocks = append(md.blocks, b)
	}
	return md
}

// pairKey names the edge between free maps a <= b.
type pairKey struct{ a, b int }

func transpose(q []float64, rows, cols int) []float64 {
	t := make([]float64, len(q))
	for j := 0; j < rows; j++ {
		for i := 0; i < cols; i++ {
			t[i*rows+j] = q[j*cols+i]
		}
	}
	return t
}

// splitHubs chooses the hubs: maps with a self-coupling must be hubs;
// the others become leaves, lowest degree and widest first, as long as no
// neighbour is already a leaf. Few, narrow hubs keep the count vectors
// to enumerate few.
func (md *model) splitHubs(pairs []pairKey) {
	nf := len(md.free)
	nb := make([]map[int]bool, nf)
	forced := make([]bool, nf)
	for i := range nb {
		nb[i] = map[int]bool{}
	}
	link := func(a, b int) {
		if a == b {
			forced[a] = true
			return
		}
		nb[a][b], nb[b][a] = true, true
	}
	for _, k := range pairs {
		link(k.a, k.b)
	}
	for _, c := range md.cons {
		for _, t := range c.quad {
			link(t.a, t.b)
		}
	}
	order := make([]int, nf)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Or(cmp.Compare(len(nb[x]), len(nb[y])), cmp.Compare(md.size[y], md.size[x]))
	})
	leaf := make([]bool, nf)
	for _, m := range order {
		if forced[m] {
			continue
		}
		ok := true
		for o := range nb[m] {
			if leaf[o] {
				ok = false
				break
			}
		}
		leaf[m] = ok
	}
	md.hubPos = make([]int, nf)
	md.leafPos = make([]int, nf)
	for m := range nf {
		md.hubPos[m], md.leafPos[m] = -1, -1
		if leaf[m] {
			md.leafPos[m] = len(md.leaves)
			md.leaves = append(md.leaves, m)
		} else {
			md.hubPos[m] = len(md.hubs)
			md.hubs = append(md.hubs, m)
		}
	}
}
