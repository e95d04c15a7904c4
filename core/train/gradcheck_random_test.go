package train

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// Gradient checks on random shapes: gradCases fixes its shapes by hand,
// so a backward rule could be right on those and wrong on a combination
// nobody wrote down (a group count that does not divide evenly into the
// im2col blocks, a broadcast pattern on the other operand, a ceil_mode
// window at a different offset). Here every op family draws its shapes
// and attributes from a fixed seed and runs the same finite-difference
// check with the same 1e-3 bound; the case names spell out what was
// drawn, so a failure can be rebuilt by hand.

// randomFamily draws one gradient case per call.
type randomFamily struct {
	name string
	draw func(r *rng) gradCase
}

// randomDraws is how many cases each family draws; the whole test stays
// at a few seconds natively.
const randomDraws = 10

func TestGradCheckRandomShapes(t *testing.T) {
	families := randomFamilies()
	worst := make(map[string]float64, len(families))
	for fi, f := range families {
		r := newRNG(familySeed(f.name))
		for d := 0; d < randomDraws; d++ {
			c := f.draw(r)
			seed := int64(1000*fi + d)
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				b := newTestModel(c.opset, seed)
				c.build(b)
				worst[f.name] = math.Max(worst[f.name], gradCheck(t, b, c.mode, c.opt))
			})
		}
	}
	var lines []string
	for _, f := range families {
		lines = append(lines, fmt.Sprintf("%-20s %.1e", f.name, worst[f.name]))
	}
	t.Logf("worst relative error per family over %d random draws each:\n%s", randomDraws, strings.Join(lines, "\n"))
}

// familySeed derives a family's seed from its name (FNV-1a): seeds
// 1, 2, 3, ... would give SplitMix64 streams that are one step apart, so
// neighbouring families would draw the same shapes.
func familySeed(name string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return int64(h >> 1)
}

// between returns a uniform integer in [lo, hi].
func between(r *rng, lo, hi int) int { return lo + r.intn(hi-lo+1) }

// pick returns one of the values.
func pick[T any](r *rng, vals ...T) T { return vals[r.intn(len(vals))] }

// randomShape returns rank dims, each in [lo, hi].
func randomShape(r *rng, rank, lo, hi int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = between(r, lo, hi)
	}
	return s
}

// broadcastOperand derives from out a shape that broadcasts to it: some
// leading dims dropped, some of the rest set to 1.
func broadcastOperand(r *rng, out []int) []int {
	drop := 0
	if r.intn(3) == 0 {
		drop = r.intn(len(out) + 1)
	}
	s := append([]int(nil), out[drop:]...)
	for i := range s {
		if r.intn(3) == 0 {
			s[i] = 1
		}
	}
	return s
}

func randomFamilies() []randomFamily {
	fams := []randomFamily{
		{"Conv", drawConv},
		{"Gemm", drawGemm},
		{"MatMul", drawMatMul},
		{"BatchNorm-training", drawBatchNorm},
		{"MaxPool", func(r *rng) gradCase { return drawPool(r, "MaxPool") }},
		{"AveragePool", func(r *rng) gradCase { return drawPool(r, "AveragePool") }},
	}
	for _, op := range []string{"Add", "Sub", "Mul", "Div"} {
		fams = append(fams, randomFamily{op, func(r *rng) gradCase { return drawBinary(r, op) }})
	}
	return append(fams,
		randomFamily{"Concat", drawConcat},
		randomFamily{"Split", drawSplit},
		randomFamily{"Slice", drawSlice},
		randomFamily{"Transpose", drawTranspose},
		randomFamily{"Reshape", drawReshape},
		randomFamily{"Pad", drawPad},
	)
}

// drawConv: N, C = groups * per-group channels (depthwise in a quarter of
// the draws), H, W, kernel 1-3, stride 1-2, dilation 1-2 and independent
// begin/end pads 0-2 per axis (or an auto_pad mode), with or without bias.
func drawConv(r *rng) gradCase {
	var x, w []int
	var attrs []any
	var desc []string
	for {
		n := between(r, 1, 3)
		var g, cin, cout int
		if r.intn(4) == 0 { // depthwise, with a channel multiplier of 1 or 2
			g = between(r, 2, 5)
			cin, cout = g, g*between(r, 1, 2)
		} else {
			g = between(r, 1, 3)
			cin, cout = g*between(r, 1, 3), g*between(r, 1, 3)
		}
		k := randomShape(r, 2, 1, 3)
		s := randomShape(r, 2, 1, 2)
		d := randomShape(r, 2, 1, 2)
		hw := randomShape(r, 2, 1, 8)
		pads := randomShape(r, 4, 0, 2)
		autoPad := ""
		if r.intn(6) == 0 {
			autoPad = pick(r, "SAME_UPPER", "SAME_LOWER", "VALID")
		}
		ok := true
		for i := 0; i < 2; i++ {
			span := (k[i]-1)*d[i] + 1
			padded := hw[i] + pads[i] + pads[i+2]
			if autoPad != "" {
				padded = hw[i]
				if autoPad != "VALID" {
					padded = span // SAME always fits
				}
			}
			ok = ok && padded >= span
		}
		if !ok {
			continue
		}
		x = []int{n, cin, hw[0], hw[1]}
		w = []int{cout, cin / g, k[0], k[1]}
		attrs = []any{"group", int64(g), "strides", dims64(s), "dilations", dims64(d)}
		desc = []string{fmt.Sprintf("x%v_w%v_g%d_s%v_d%v", x, w, g, s, d)}
		if autoPad != "" {
			attrs = append(attrs, "auto_pad", autoPad)
			desc = append(desc, autoPad)
		} else {
			attrs = append(attrs, "pads", dims64(pads))
			desc = append(desc, fmt.Sprintf("p%v", pads))
		}
		break
	}
	bias := r.intn(3) != 0
	if bias {
		desc = append(desc, "bias")
	}
	return gradCase{name: strings.Join(desc, "_"), opset: 13, build: func(b *testModel) {
		b.param("x", x, nil).param("w", w, nil)
		in := []string{"x", "w"}
		if bias {
			b.param("b", []int{w[0]}, nil)
			in = append(in, "b")
		}
		b.node("Conv", in, []string{"y"}, attrsOf(attrs)...).output("y")
	}}
}

// drawGemm: M, K, N 1-5, transA/transB, alpha, beta and C absent or in
// every shape that broadcasts to M x N.
func drawGemm(r *rng) gradCase {
	m, k, n := between(r, 1, 5), between(r, 1, 5), between(r, 1, 5)
	ta, tb := r.intn(2), r.intn(2)
	a, bs := []int{m, k}, []int{k, n}
	if ta == 1 {
		a = []int{k, m}
	}
	if tb == 1 {
		bs = []int{n, k}
	}
	alpha := pick(r, float32(1), 0.5, -1.5, 2)
	beta := pick(r, float32(1), 0.5, -2, 3)
	cShapes := [][]int{nil, {}, {1}, {n}, {1, n}, {m, 1}, {m, n}}
	ci := r.intn(len(cShapes))
	cShape := cShapes[ci]
	name := fmt.Sprintf("a%v_b%v_tA%d_tB%d_alpha%g_beta%g", a, bs, ta, tb, alpha, beta)
	if ci == 0 {
		name += "_noC"
	} else {
		name += fmt.Sprintf("_c%v", cShape)
	}
	return gradCase{name: name, opset: 13, build: func(b *testModel) {
		b.param("a", a, nil).param("b", bs, nil)
		in := []string{"a", "b"}
		if ci != 0 {
			b.param("c", cShape, nil)
			in = append(in, "c")
		}
		b.node("Gemm", in, []string{"y"}, aInt("transA", int64(ta)), aInt("transB", int64(tb)),
			aFloat("alpha", alpha), aFloat("beta", beta)).output("y")
	}}
}

// drawMatMul: batch dims broadcast between the operands (either side may
// have fewer or size-1 batch dims); now and then an operand is 1-D.
func drawMatMul(r *rng) gradCase {
	m, k, n := between(r, 1, 4), between(r, 1, 4), between(r, 1, 4)
	batch := randomShape(r, r.intn(3), 1, 3)
	a := append(broadcastOperand(r, batch), m, k)
	bs := append(broadcastOperand(r, batch), k, n)
	switch r.intn(6) {
	case 0:
		a = []int{k}
	case 1:
		bs = []int{k}
	}
	return gradCase{name: fmt.Sprintf("a%v_b%v", a, bs), opset: 13, build: func(b *testModel) {
		b.param("a", a, nil).param("b", bs, nil)
		b.node("MatMul", []string{"a", "b"}, []string{"y"}).output("y")
	}}
}

// drawBatchNorm: training mode (batch statistics) on rank 2-4 inputs with
// 2-4 channels and at least six values per channel, at opsets 9, 14 and
// 15 and a random epsilon. A single channel is left out because the
// scale's one gradient, sum(r * normalized x), can cancel to ~2e-3, where
// the float32 rounding of the forward pass (~1e-5 in the difference) is
// more than 1e-3 of it and no other element sets the scale. With four values the batch variance of a channel can be small
// enough that the loss bends sharply within the check's step of 0.04 and
// the extrapolated difference, not the rule, is off by up to 1.6e-3 (it
// drops below 6e-4 at step 0.02, where float32 rounding takes over).
func drawBatchNorm(r *rng) gradCase {
	var x []int
	for {
		x = append([]int{between(r, 1, 6), between(r, 2, 4)}, randomShape(r, r.intn(3), 1, 4)...)
		per := 1
		for i, v := range x {
			if i != 1 {
				per *= v
			}
		}
		if per >= 6 {
			break
		}
	}
	c := x[1]
	opset := pick(r, int64(9), 14, 15)
	eps := pick(r, float32(1e-5), 1e-3, 0.1)
	return gradCase{name: fmt.Sprintf("x%v_opset%d_eps%g", x, opset, eps), opset: opset, mode: ModeTrain, build: func(b *testModel) {
		// The input's gradient is proportional to the scale while the
		// float32 rounding of the loss is not, so a scale near 0 would
		// bury the gradient in rounding noise: scales are 0.5 to 1.5 in
		// size, of either sign.
		b.param("x", x, nil).param("s", []int{c}, avoiding(1.5, -0.4, -0.2, 0, 0.2, 0.4)).param("bias", []int{c}, nil)
		b.param("mean", []int{c}, nil).param("var", []int{c}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
		b.node("BatchNormalization", []string{"x", "s", "bias", "mean", "var"}, []string{"y"}, aFloat("epsilon", eps)).output("y")
	}}
}

// drawPool: kernel 1-3, stride 1-3, pads below the kernel, ceil_mode, and
// count_include_pad (AveragePool) or dilations (MaxPool). The input is at
// least one dilated kernel wide, so no window is all padding.
func drawPool(r *rng, op string) gradCase {
	k := randomShape(r, 2, 1, 3)
	s := randomShape(r, 2, 1, 3)
	d := []int{1, 1}
	if op == "MaxPool" {
		d = randomShape(r, 2, 1, 2)
	}
	pads := make([]int, 4)
	hw := make([]int, 2)
	for i := 0; i < 2; i++ {
		pads[i], pads[i+2] = r.intn(k[i]), r.intn(k[i])
		span := (k[i]-1)*d[i] + 1
		hw[i] = between(r, span, span+5)
	}
	x := []int{between(r, 1, 2), between(r, 1, 3), hw[0], hw[1]}
	ceil := r.intn(2)
	attrs := []any{"kernel_shape", dims64(k), "strides", dims64(s), "pads", dims64(pads), "ceil_mode", int64(ceil)}
	name := fmt.Sprintf("x%v_k%v_s%v_p%v_ceil%d", x, k, s, pads, ceil)
	if op == "MaxPool" {
		attrs = append(attrs, "dilations", dims64(d))
		name += fmt.Sprintf("_d%v", d)
	} else {
		inc := r.intn(2)
		attrs = append(attrs, "count_include_pad", int64(inc))
		name += fmt.Sprintf("_incpad%d", inc)
	}
	return gradCase{name: name, opset: 13, build: func(b *testModel) {
		if op == "MaxPool" {
			b.paramDistinct("x", x) // no step changes a window's maximum
		} else {
			b.param("x", x, nil)
		}
		b.node(op, []string{"x"}, []string{"y"}, attrsOf(attrs)...).output("y")
	}}
}

// drawBinary: an output shape of rank 1-4 and two operands that broadcast
// to it (dims dropped or set to 1 on either side, or both).
func drawBinary(r *rng, op string) gradCase {
	out := randomShape(r, between(r, 1, 4), 2, 4)
	a, bs := broadcastOperand(r, out), broadcastOperand(r, out)
	return gradCase{name: fmt.Sprintf("a%v_b%v", a, bs), opset: 13, build: func(b *testModel) {
		b.param("a", a, nil).param("b", bs, avoiding(1, 0))
		if op == "Div" {
			b.m.Graph.Initializer[1].FloatData = positive(b.m.Graph.Initializer[1].FloatData)
		}
		b.node(op, []string{"a", "b"}, []string{"y"}).output("y")
	}}
}

// drawConcat: 2-4 inputs of rank 1-4 differing along a random axis
// (given as negative half the time).
func drawConcat(r *rng) gradCase {
	rank := between(r, 1, 4)
	base := randomShape(r, rank, 1, 3)
	axis := r.intn(rank)
	parts := make([][]int, between(r, 2, 4))
	for i := range parts {
		parts[i] = append([]int(nil), base...)
		parts[i][axis] = between(r, 1, 3)
	}
	attrAxis := int64(axis)
	if r.intn(2) == 0 {
		attrAxis -= int64(rank)
	}
	return gradCase{name: fmt.Sprintf("%v_axis%d", parts, attrAxis), opset: 13, build: func(b *testModel) {
		var in []string
		for i, p := range parts {
			name := fmt.Sprintf("x%d", i)
			b.param(name, p, nil)
			in = append(in, name)
		}
		b.node("Concat", in, []string{"y"}, aInt("axis", attrAxis)).output("y")
	}}
}

// drawSplit: a rank 1-3 input split along a random axis into 2-4 parts,
// by sizes given as an input (opset 13), as an attribute (opset 11), or
// evenly; a random subset of the parts, reordered, is concatenated back,
// so unused outputs carry no gradient.
func drawSplit(r *rng) gradCase {
	rank := between(r, 1, 3)
	x := randomShape(r, rank, 1, 3)
	axis := r.intn(rank)
	nParts := between(r, 2, 4)
	sizes := make([]int, nParts)
	form := pick(r, "input", "attr", "even")
	for i := range sizes {
		sizes[i] = between(r, 1, 3)
	}
	if form == "even" {
		for i := range sizes {
			sizes[i] = sizes[0]
		}
	}
	total := 0
	for _, v := range sizes {
		total += v
	}
	x[axis] = total
	used := make([]int, nParts)
	for i := range used {
		used[i] = i
	}
	for i := nParts - 1; i > 0; i-- {
		j := r.intn(i + 1)
		used[i], used[j] = used[j], used[i]
	}
	used = used[:between(r, 1, nParts)]
	opset := int64(13)
	if form == "attr" {
		opset = 11
	}
	name := fmt.Sprintf("x%v_axis%d_sizes%v_%s_use%v", x, axis, sizes, form, used)
	return gradCase{name: name, opset: opset, build: func(b *testModel) {
		b.param("x", x, nil)
		outs := make([]string, nParts)
		for i := range outs {
			outs[i] = fmt.Sprintf("s%d", i)
		}
		in := []string{"x"}
		var attrs []any
		switch form {
		case "input":
			b.ints("split", dims64(sizes)...)
			in = append(in, "split")
		case "attr":
			attrs = append(attrs, "split", dims64(sizes))
		}
		b.node("Split", in, outs, attrsOf(append(attrs, "axis", int64(axis)))...)
		var cat []string
		for _, u := range used {
			cat = append(cat, outs[u])
		}
		b.node("Concat", cat, []string{"y"}, aInt("axis", int64(axis))).output("y")
	}}
}

// sliceLen is the number of elements ONNX Slice takes from a dim of size
// dim with start, end and step (the clamping rules of the spec).
func sliceLen(dim, start, end, step int) int {
	if step > 0 {
		clamp := func(v int) int {
			if v < 0 {
				v += dim
			}
			return min(max(v, 0), dim)
		}
		s, e := clamp(start), clamp(end)
		if e <= s {
			return 0
		}
		return (e - s + step - 1) / step
	}
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	s, e := min(max(start, 0), dim-1), min(max(end, -1), dim-1)
	if s <= e {
		return 0
	}
	return (s - e + (-step) - 1) / (-step)
}

// drawSlice: 1 to rank axes (in random order, some negative) with starts
// and ends anywhere from beyond the front to beyond the back and steps
// of either sign; the steps input is left out when all are 1.
func drawSlice(r *rng) gradCase {
	rank := between(r, 1, 4)
	x := randomShape(r, rank, 2, 6)
	var axes, starts, ends, steps []int
	for {
		perm := make([]int, rank)
		for i := range perm {
			perm[i] = i
		}
		for i := rank - 1; i > 0; i-- {
			j := r.intn(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		n := between(r, 1, rank)
		axes, starts, ends, steps = nil, nil, nil, nil
		nonEmpty := true
		for _, ax := range perm[:n] {
			dim := x[ax]
			step := pick(r, 1, 1, 2, 3, -1, -2)
			start, end := between(r, -dim-2, dim+2), between(r, -dim-2, dim+2)
			nonEmpty = nonEmpty && sliceLen(dim, start, end, step) > 0
			if r.intn(2) == 0 {
				ax -= rank
			}
			axes, starts, ends, steps = append(axes, ax), append(starts, start), append(ends, end), append(steps, step)
		}
		if nonEmpty {
			break
		}
	}
	allOne := true
	for _, s := range steps {
		allOne = allOne && s == 1
	}
	name := fmt.Sprintf("x%v_axes%v_starts%v_ends%v_steps%v", x, axes, starts, ends, steps)
	return gradCase{name: name, opset: 13, build: func(b *testModel) {
		b.param("x", x, nil).ints("starts", dims64(starts)...).ints("ends", dims64(ends)...).ints("axes", dims64(axes)...)
		in := []string{"x", "starts", "ends", "axes"}
		if !allOne {
			b.ints("steps", dims64(steps)...)
			in = append(in, "steps")
		}
		b.node("Slice", in, []string{"y"}).output("y")
	}}
}

// drawTranspose: a random permutation of a rank 1-5 input, or no perm
// attribute (reversal) one time in five.
func drawTranspose(r *rng) gradCase {
	rank := between(r, 1, 5)
	x := randomShape(r, rank, 1, 4)
	perm := make([]int, rank)
	for i := range perm {
		perm[i] = i
	}
	for i := rank - 1; i > 0; i-- {
		j := r.intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	var attrs []any
	name := fmt.Sprintf("x%v_reverse", x)
	if r.intn(5) != 0 {
		attrs = []any{"perm", dims64(perm)}
		name = fmt.Sprintf("x%v_perm%v", x, perm)
	}
	return gradCase{name: name, opset: 13, build: func(b *testModel) {
		b.param("x", x, nil).node("Transpose", []string{"x"}, []string{"t"}, attrsOf(attrs)...)
		// A product with a second parameter makes the gradient depend on
		// where each element lands, not only on the loss weights.
		b.param("k", transposed(x, perm, attrs == nil), nil)
		b.node("Mul", []string{"t", "k"}, []string{"y"}).output("y")
	}}
}

// transposed is x's shape after Transpose with perm (or reversed).
func transposed(x, perm []int, reverse bool) []int {
	out := make([]int, len(x))
	for i := range out {
		if reverse {
			out[i] = x[len(x)-1-i]
		} else {
			out[i] = x[perm[i]]
		}
	}
	return out
}

// drawReshape: the input's elements regrouped into 1-4 dims, with one
// dim given as -1 and dims equal to the input's given as 0 at random;
// a product with a parameter of the new shape follows.
func drawReshape(r *rng) gradCase {
	x := randomShape(r, between(r, 1, 4), 1, 4)
	var factors []int
	for _, v := range x {
		for p := 2; v > 1; {
			if v%p == 0 {
				factors = append(factors, p)
				v /= p
			} else {
				p++
			}
		}
	}
	for i := len(factors) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		factors[i], factors[j] = factors[j], factors[i]
	}
	target := make([]int, between(r, 1, 4))
	for i := range target {
		target[i] = 1
	}
	for _, f := range factors {
		target[r.intn(len(target))] *= f
	}
	spec := dims64(target)
	for i := range spec {
		if i < len(x) && x[i] == target[i] && r.intn(2) == 0 {
			spec[i] = 0
		}
	}
	spec[r.intn(len(spec))] = -1
	return gradCase{name: fmt.Sprintf("x%v_to%v", x, spec), opset: 13, build: func(b *testModel) {
		b.param("x", x, nil).ints("shape", spec...)
		b.node("Reshape", []string{"x", "shape"}, []string{"t"})
		b.param("k", target, nil)
		b.node("Mul", []string{"t", "k"}, []string{"y"}).output("y")
	}}
}

// drawPad: modes constant (with a value, and negative pads that crop),
// reflect, edge and wrap; pads for all axes (opset 13, or the attribute
// form of opset 2) or for a random subset of axes given as an input
// (opset 19).
func drawPad(r *rng) gradCase {
	rank := between(r, 1, 4)
	x := randomShape(r, rank, 2, 5)
	mode := pick(r, "constant", "reflect", "edge", "wrap")
	form := pick(r, "input", "attr", "axes")
	if mode == "wrap" {
		form = "axes" // wrap exists from opset 19
	}
	axes := make([]int, rank)
	for i := range axes {
		axes[i] = i
	}
	if form == "axes" {
		for i := rank - 1; i > 0; i-- {
			j := r.intn(i + 1)
			axes[i], axes[j] = axes[j], axes[i]
		}
		axes = axes[:between(r, 1, rank)]
	}
	pads := make([]int, 2*len(axes))
	for i, ax := range axes {
		for _, at := range []int{i, i + len(axes)} {
			switch mode {
			case "constant":
				pads[at] = between(r, -(x[ax]-1)/2, 2)
			case "reflect":
				pads[at] = between(r, 0, min(2, x[ax]-1))
			default:
				pads[at] = between(r, 0, 2)
			}
		}
	}
	value := float32(0)
	if mode == "constant" {
		value = pick(r, float32(0), 0.25)
	}
	opset := map[string]int64{"input": 13, "attr": 2, "axes": 19}[form]
	name := fmt.Sprintf("x%v_%s_pads%v_%s", x, mode, pads, form)
	if form == "axes" {
		name += fmt.Sprintf("%v", axes)
	}
	return gradCase{name: name, opset: opset, build: func(b *testModel) {
		b.param("x", x, nil)
		if form == "attr" {
			b.node("Pad", []string{"x"}, []string{"y"}, attrsOf([]any{"pads", dims64(pads), "mode", mode, "value", value})...).output("y")
			return
		}
		b.ints("pads", dims64(pads)...).scalar("cv", value)
		in := []string{"x", "pads", "cv"}
		if form == "axes" {
			b.ints("axes", dims64(axes)...)
			in = append(in, "axes")
		}
		b.node("Pad", in, []string{"y"}, aString("mode", mode)).output("y")
	}}
}
