package qcqp

import (
	"math"
	"math/rand/v2"
)

// Instances shared by the tests and benchmarks.

// importanceKind chooses how instance weights are drawn.
type importanceKind int

const (
	// uniformImportance: i.i.d. uniform entries, no structure.
	uniformImportance importanceKind = iota
	// l1Importance: the L1 mass of a 3x3 kernel slice of Gaussian weights
	// (what METHODS.md's importance is on an untrained He-initialised net).
	l1Importance
)

// randomLayer draws an out x in importance matrix normalised to unit
// Frobenius norm, as the paper's per-layer importance is.
func randomLayer(r *rand.Rand, out, in int, kind importanceKind) []float64 {
	imp := make([]float64, out*in)
	ss := 0.0
	for k := range imp {
		v := r.Float64()
		if kind == l1Importance {
			v = 0
			for range 9 {
				v += math.Abs(r.NormFloat64())
			}
		}
		imp[k] = v
		ss += v * v
	}
	if ss > 0 {
		for k := range imp {
			imp[k] /= math.Sqrt(ss)
		}
	}
	return imp
}

// builder assembles a Problem with one MACs constraint.
type builder struct {
	p    *Problem
	r    *rand.Rand
	kind importanceKind
	macs Constraint
}

func newBuilder(r *rand.Rand, kind importanceKind) *builder {
	return &builder{p: &Problem{}, r: r, kind: kind, macs: Constraint{Name: "macs"}}
}

func (b *builder) mapOf(name string, c int, fixed bool) int {
	b.p.Maps = append(b.p.Maps, Map{Name: name, Channels: c, Fixed: fixed})
	return len(b.p.Maps) - 1
}

// conv adds a dense layer in -> out costing coef MACs per channel pair.
func (b *builder) conv(name string, in, out int, coef float64) {
	b.p.Layers = append(b.p.Layers, Layer{Name: name, In: []int{in}, Out: out,
		Importance: randomLayer(b.r, b.p.Maps[out].Channels, b.p.Maps[in].Channels, b.kind)})
	b.macs.Terms = append(b.macs.Terms, Term{A: in, B: out, Coef: coef})
}

// done sets the MACs budget to frac of the full network's.
func (b *builder) done(frac float64) *Problem {
	full := make([]int, len(b.p.Maps))
	for m, mp := range b.p.Maps {
		full[m] = mp.Channels
	}
	b.macs.Budget = math.Floor(frac * b.macs.Cost(full))
	b.p.Constraints = append(b.p.Constraints, b.macs)
	return b.p
}

// resnetCIFAR is He et al.'s CIFAR ResNet-(6n+2) with tied residual masks:
// three stage maps of 16, 32 and 64 channels, one intermediate map per
// block, 1x1 downsample shortcuts, MACs of every conv and the fc layer.
func resnetCIFAR(r *rand.Rand, n int, kind importanceKind, frac float64) *Problem {
	b := newBuilder(r, kind)
	in := b.mapOf("input", 3, false)
	b.p.Maps[in].Fixed = true
	widths := []int{16, 32, 64}
	sides := []float64{32, 16, 8}
	stage := make([]int, 3)
	for s, w := range widths {
		stage[s] = b.mapOf("stage"+string(rune('1'+s)), w, false)
	}
	b.conv("stem", in, stage[0], 9*32*32)
	for s, w := range widths {
		px := sides[s] * sides[s]
		for k := range n {
			from := stage[s]
			if k == 0 && s > 0 {
				from = stage[s-1]
				b.conv("down", from, stage[s], px)
			}
			mid := b.mapOf("mid", w, false)
			b.conv("conv1", from, mid, 9*px)
			b.conv("conv2", mid, stage[s], 9*px)
		}
	}
	logits := b.mapOf("logits", 10, true)
	b.conv("fc", stage[2], logits, 1)
	return b.done(frac)
}

// mnist8Shaped is mnist-8's structure: input(1) -> conv 5x5 (8 maps,
// 28x28) -> pool -> conv 5x5 (16, 14x14) -> pool -> fc over 16x4x4 -> 10.
func mnist8Shaped(r *rand.Rand, frac float64) *Problem {
	b := newBuilder(r, l1Importance)
	in := b.mapOf("input", 1, true)
	c1 := b.mapOf("conv1", 8, false)
	c2 := b.mapOf("conv2", 16, false)
	out := b.mapOf("logits", 10, true)
	b.conv("conv1", in, c1, 25*28*28)
	b.conv("conv2", c1, c2, 25*14*14)
	b.conv("fc", c2, out, 16)
	return b.done(frac)
}

// randomSmall is a small random network: a chain of free maps between a
// fixed input and output, random skip layers (some into a Concat), a
// depthwise layer, a residual-style self coupling, and one or two
// constraints (MACs and a parameter-like count with linear terms).
func randomSmall(r *rand.Rand, maxBits int) *Problem {
	for {
		p := randomSmallOnce(r)
		bits := 0
		for _, m := range p.Maps {
			if !m.Fixed {
				bits += m.Channels
			}
		}
		if bits <= maxBits {
			return p
		}
	}
}

func randomSmallOnce(r *rand.Rand) *Problem {
	kind := importanceKind(r.IntN(2))
	b := newBuilder(r, kind)
	in := b.mapOf("in", 1+r.IntN(3), true)
	nf := 2 + r.IntN(3)
	maps := []int{in}
	for range nf {
		maps = append(maps, b.mapOf("m", 1+r.IntN(4), false))
	}
	out := b.mapOf("out", 1+r.IntN(3), true)
	maps = append(maps, out)
	for k := 0; k+1 < len(maps); k++ {
		b.conv("chain", maps[k], maps[k+1], float64(1+r.IntN(20)))
	}
	for range r.IntN(3) {
		a, c := maps[1+r.IntN(nf)], maps[1+r.IntN(nf)]
		if a != c {
			b.conv("skip", a, c, float64(1+r.IntN(20)))
		} else if r.IntN(2) == 0 {
			b.conv("self", a, a, float64(1+r.IntN(5)))
		}
	}
	if r.IntN(2) == 0 && nf >= 2 {
		// A layer reading the concatenation of two free maps.
		x, y, o := maps[1], maps[2], maps[len(maps)-2]
		w := b.p.Maps[x].Channels + b.p.Maps[y].Channels
		b.p.Layers = append(b.p.Layers, Layer{Name: "concat", In: []int{x, y}, Out: o,
			Importance: randomLayer(r, b.p.Maps[o].Channels, w, kind)})
		b.macs.Terms = append(b.macs.Terms, Term{A: x, B: o, Coef: 3}, Term{A: y, B: o, Coef: 3})
	}
	if r.IntN(2) == 0 {
		m := maps[1+r.IntN(nf)]
		imp := make([]float64, b.p.Maps[m].Channels)
		for i := range imp {
			imp[i] = 0.3 * r.Float64()
		}
		b.p.Layers = append(b.p.Layers, Layer{Name: "dw", In: []int{m}, Out: m, Diagonal: true, Importance: imp})
		b.macs.Terms = append(b.macs.Terms, Term{A: m, B: -1, Coef: 9})
	}
	p := b.done(0.2 + 0.6*r.Float64())
	if r.IntN(2) == 0 {
		params := Constraint{Name: "params", Const: 5}
		full := make([]int, len(p.Maps))
		for m, mp := range p.Maps {
			full[m] = mp.Channels
		}
		for _, l := range p.Layers {
			if !l.Diagonal {
				params.Terms = append(params.Terms, Term{A: l.In[0], B: l.Out, Coef: 9})
			}
			params.Terms = append(params.Terms, Term{A: l.Out, B: -1, Coef: 1})
		}
		params.Budget = math.Floor((0.3 + 0.6*r.Float64()) * params.Cost(full))
		p.Constraints = append(p.Constraints, params)
	}
	return p
}
