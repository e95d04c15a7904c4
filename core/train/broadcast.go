package train

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/graph"
)

// Multidirectional (numpy) broadcasting for the backward rules of
// element-wise ops: walking an output shape with the offsets of operands
// broadcast to it, which both applies an operand and sums a gradient back
// to the operand's shape in one pass.

// broadcastStrides gives, for an operand of shape in broadcast to out, the
// operand's stride along each output dimension (0 where it is broadcast).
func broadcastStrides(in, out []int) ([]int, error) {
	if len(in) > len(out) {
		return nil, fmt.Errorf("shape %v does not broadcast to %v", in, out)
	}
	st := make([]int, len(out))
	stride := 1
	for d := len(out) - 1; d >= 0; d-- {
		id := d - (len(out) - len(in))
		if id < 0 {
			continue
		}
		switch in[id] {
		case out[d]:
			st[d] = stride
		case 1:
			st[d] = 0
		default:
			return nil, fmt.Errorf("shape %v does not broadcast to %v", in, out)
		}
		stride *= in[id]
	}
	return st, nil
}

// broadcastShape is the shape two operands broadcast to.
func broadcastShape(a, b []int) ([]int, error) {
	return graph.BroadcastShape(a, b)
}

// walker visits an output shape row by row with the offsets of several
// operands. Adjacent dimensions that are contiguous for every operand are
// merged first, so a bias broadcast over H x W is one long row.
type walker struct {
	shape   []int
	strides [][]int // per operand; operand 0 is the output itself
}

func newWalker(out []int, operandStrides ...[]int) walker {
	all := append([][]int{contiguousStrides(out)}, operandStrides...)
	shape := append([]int(nil), out...)
	// Merge dims from the innermost outwards.
	for d := len(shape) - 2; d >= 0; d-- {
		ok := true
		for _, st := range all {
			if st[d] != st[d+1]*shape[d+1] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		shape[d] *= shape[d+1]
		shape = append(shape[:d+1], shape[d+2:]...)
		for k, st := range all {
			st2 := append([]int(nil), st[:d]...)
			st2 = append(st2, st[d+1])
			all[k] = append(st2, st[d+2:]...)
		}
	}
	return walker{shape: shape, strides: all}
}

// rows calls f for every innermost row: the row's length, the starting
// offset of each operand and each operand's step along the row.
func (w walker) rows(f func(n int, off, step []int)) {
	k := len(w.strides)
	off := make([]int, k)
	step := make([]int, k)
	if len(w.shape) == 0 {
		f(1, off, step)
		return
	}
	for i := range w.shape {
		if w.shape[i] == 0 {
			return
		}
	}
	last := len(w.shape) - 1
	for j := 0; j < k; j++ {
		step[j] = w.strides[j][last]
	}
	idx := make([]int, last)
	for {
		f(w.shape[last], off, step)
		d := last - 1
		for ; d >= 0; d-- {
			idx[d]++
			for j := 0; j < k; j++ {
				off[j] += w.strides[j][d]
			}
			if idx[d] < w.shape[d] {
				break
			}
			for j := 0; j < k; j++ {
				off[j] -= w.strides[j][d] * w.shape[d]
			}
			idx[d] = 0
		}
		if d < 0 {
			return
		}
	}
}

func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}

// reduceTo sums g (shaped out) down to shape in, the adjoint of
// broadcasting in to out.
func reduceTo(g []float32, out, in []int) ([]float32, error) {
	if slices.Equal(out, in) {
		return g, nil
	}
	st, err := broadcastStrides(in, out)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range in {
		n *= d
	}
	dst := make([]float32, n)
	newWalker(out, st).rows(func(cnt int, off, step []int) {
		o, i, si := off[0], off[1], step[1]
		if si == 0 {
			var s float32
			for _, v := range g[o : o+cnt] {
				s += v
			}
			dst[i] += s
			return
		}
		for j := 0; j < cnt; j++ {
			dst[i+j*si] += g[o+j]
		}
	})
	return dst, nil
}
