package exec

import (
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
	inner := make([]int, nIn)
	for k := range inner {
		inner[k] = p.strides[k][r-1]
	}
	n := p.shape[r-1]
	outer := 1
	for _, d := range p.shape[:r-1] {
		outer *= d
	}
	idx := make([]int, r-1)
	offs := make([]int, nIn)
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

// broadcast2 computes out[i] = f(a[i], b[i]) over the broadcast of a and b.
func broadcast2[A, B, R elem](c *Context, a, b *tensor.Tensor, outDT tensor.DType, f func(A, B) R) (*tensor.Tensor, error) {
	shape, err := graph.BroadcastShape(a.Shape, b.Shape)
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
	av, bv, ov := data[A](a), data[B](b), data[R](out)
	newBroadcastPlan(shape, a.Shape, b.Shape).rows(func(o int, offs []int, n int, inner []int) {
		ia, ib, sa, sb := offs[0], offs[1], inner[0], inner[1]
		dst := ov[o : o+n]
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
	})
	return out, nil
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
