package exec

import (
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// broadcastPlan walks an output shape together with the matching element
// offsets of several inputs broadcast to it. Adjacent dimensions that every
// operand traverses contiguously are merged, so the common cases (equal
// shapes, a scalar, a per-channel vector) run as long inner loops.
type broadcastPlan struct {
	shape   []int   // merged output shape
	strides [][]int // per operand, stride of each merged dimension (0 where broadcast)
	// scratch for rows (the odometer, offsets and inner strides): a plan
	// is used by one run at a time.
	idx, offs, inner []int
}

func newBroadcastPlan(out []int, ins ...[]int) *broadcastPlan {
	rank := len(out)
	strides := make([][]int, len(ins))
	for k, s := range ins {
		st := make([]int, rank)
		acc := 1
		for i := rank - 1; i >= 0; i-- {
			j := i - (rank - len(s))
			if j >= 0 && s[j] != 1 {
				st[i] = acc
				acc *= s[j]
			}
		}
		strides[k] = st
	}
	return mergePlan(out, strides)
}

// mergePlan builds a plan from explicit per-operand strides over shape
// out: size-1 dims are dropped, and dims i-1,i merge when every operand has
// stride[i-1] == stride[i]*shape[i].
func mergePlan(out []int, strides [][]int) *broadcastPlan {
	p := &broadcastPlan{strides: make([][]int, len(strides))}
	for i := range out {
		if out[i] == 1 {
			continue
		}
		n := len(p.shape)
		if n > 0 {
			mergeable := true
			for k := range strides {
				if p.strides[k][n-1] != strides[k][i]*out[i] {
					mergeable = false
					break
				}
			}
			if mergeable {
				p.shape[n-1] *= out[i]
				for k := range strides {
					p.strides[k][n-1] = strides[k][i]
				}
				continue
			}
		}
		p.shape = append(p.shape, out[i])
		for k := range strides {
			p.strides[k] = append(p.strides[k], strides[k][i])
		}
	}
	if len(p.shape) == 0 {
		p.shape = []int{1}
		for k := range strides {
			p.strides[k] = []int{0}
		}
	}
	return p
}

// rows calls fn once per innermost row: the output offset of the row's
// first element, each operand's offset, the row length and each operand's
// inner stride.
func (p *broadcastPlan) rows(fn func(o int, offs []int, n int, inner []int)) {
	r := len(p.shape)
	nIn := len(p.strides)
	if len(p.inner) != nIn || len(p.idx) != r-1 {
		p.inner, p.idx, p.offs = make([]int, nIn), make([]int, r-1), make([]int, nIn)
	}
	inner, idx, offs := p.inner, p.idx, p.offs
	clear(idx)
	clear(offs)
	for k := range inner {
		inner[k] = p.strides[k][r-1]
	}
	n := p.shape[r-1]
	outer := 1
	for _, d := range p.shape[:r-1] {
		outer *= d
	}
	for row := 0; row < outer; row++ {
		fn(row*n, offs, n, inner)
		// advance the odometer over the outer dims
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			for k := range offs {
				offs[k] += p.strides[k][d]
			}
			if idx[d] < p.shape[d] {
				break
			}
			for k := range offs {
				offs[k] -= p.strides[k][d] * p.shape[d]
			}
			idx[d] = 0
		}
	}
}

// broadcast2Plan is the output shape and plan of a binary broadcast for
// one pair of operand shapes, kept in the step's memo.
type broadcast2Plan struct {
	a, b, shape []int
	plan        *broadcastPlan
}

// planBroadcast2 returns the plan for operand shapes a and b, from c's
// memo when it was made for them.
func planBroadcast2(c *Context, a, b []int) (*broadcast2Plan, error) {
	if c.memo != nil {
		if bp, ok := (*c.memo).(*broadcast2Plan); ok && slices.Equal(bp.a, a) && slices.Equal(bp.b, b) {
			return bp, nil
		}
	}
	shape, err := graph.BroadcastShape(a, b)
	if err != nil {
		return nil, err
	}
	bp := &broadcast2Plan{a: slices.Clone(a), b: slices.Clone(b), shape: shape, plan: newBroadcastPlan(shape, a, b)}
	if c.memo != nil {
		*c.memo = bp
	}
	return bp, nil
}

// broadcast2 computes out[i] = f(a[i], b[i]) over the broadcast of a and b.
func broadcast2[A, B, R elem](c *Context, a, b *tensor.Tensor, outDT tensor.DType, f func(A, B) R) (*tensor.Tensor, error) {
	bp, err := planBroadcast2(c, a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	out, err := alloc(c, outDT, bp.shape)
	if err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return out, nil
	}
	av, bv, ov := data[A](a), data[B](b), data[R](out)
	if p := bp.plan; len(p.shape) == 1 {
		// One row (equal shapes, a scalar, a vector against a vector):
		// no odometer, and no closure to allocate.
		binaryRow(ov, av, bv, 0, 0, p.strides[0][0], p.strides[1][0], f)
		return out, nil
	}
	bp.plan.rows(func(o int, offs []int, n int, inner []int) {
		binaryRow(ov[o:o+n], av, bv, offs[0], offs[1], inner[0], inner[1], f)
	})
	return out, nil
}

// binaryRow computes dst[j] = f(av[ia+j*sa], bv[ib+j*sb]).
func binaryRow[A, B, R elem](dst []R, av []A, bv []B, ia, ib, sa, sb int, f func(A, B) R) {
	n := len(dst)
	switch {
	case sa == 1 && sb == 1:
		as, bs := av[ia:ia+n], bv[ib:ib+n]
		for j := range dst {
			dst[j] = f(as[j], bs[j])
		}
	case sa == 1 && sb == 0:
		as, y := av[ia:ia+n], bv[ib]
		for j := range dst {
			dst[j] = f(as[j], y)
		}
	case sa == 0 && sb == 1:
		x, bs := av[ia], bv[ib:ib+n]
		for j := range dst {
			dst[j] = f(x, bs[j])
		}
	default:
		for j := range dst {
			dst[j] = f(av[ia+j*sa], bv[ib+j*sb])
		}
	}
}

// broadcast3 computes out[i] = f(a[i], b[i], c[i]) over the broadcast of
// three operands (Where, Clip with tensor bounds).
func broadcast3[A, B, C, R elem](c *Context, a, b, cc *tensor.Tensor, outDT tensor.DType, f func(A, B, C) R) (*tensor.Tensor, error) {
	shape, err := graph.BroadcastShape(a.Shape, b.Shape, cc.Shape)
	if err != nil {
		return nil, err
	}
	out, err := alloc(c, outDT, shape)
	if err != nil {
		return nil, err
	}
	if out.Len() == 0 {
		return out, nil
	}
	av, bv, cv, ov := data[A](a), data[B](b), data[C](cc), data[R](out)
	newBroadcastPlan(shape, a.Shape, b.Shape, cc.Shape).rows(func(o int, offs []int, n int, inner []int) {
		for j := 0; j < n; j++ {
			ov[o+j] = f(av[offs[0]+j*inner[0]], bv[offs[1]+j*inner[1]], cv[offs[2]+j*inner[2]])
		}
	})
	return out, nil
}
