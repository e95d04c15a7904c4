package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// Matrix products.

func init() {
	register(gemmRule, "Gemm")
	register(matMulRule(0, 1, -1), "MatMul")
	register(matMulRule(0, 1, tensor.Int32), "MatMulInteger")
	register(matMulRule(0, 3, -1), "QLinearMatMul")
}

func gemmRule(c *nodeCtx) ([]*Value, error) {
	a, err := c.need(0)
	if err != nil {
		return nil, err
	}
	b, err := c.need(1)
	if err != nil {
		return nil, err
	}
	if len(a.Dims) != 2 || len(b.Dims) != 2 {
		return nil, fmt.Errorf("the Gemm inputs must be 2-D, got %v and %v", a.Dims, b.Dims)
	}
	m, k := a.Dims[0], a.Dims[1]
	if c.n.AttrInt("transA", 0) != 0 {
		m, k = k, m
	}
	kb, n := b.Dims[0], b.Dims[1]
	if c.n.AttrInt("transB", 0) != 0 {
		kb, n = n, kb
	}
	if k != kb {
		return nil, fmt.Errorf("inner dimensions differ: A %v gives K=%d, B %v gives K=%d (check transA/transB)", a.Dims, k, b.Dims, kb)
	}
	if cv := c.input(2); cv != nil {
		dims, err := BroadcastShape([]int{m, n}, cv.Dims)
		if err != nil || dims[0] != m || dims[1] != n {
			return nil, fmt.Errorf("the bias C %v does not broadcast to the output [%d %d]", cv.Dims, m, n)
		}
	}
	return []*Value{{DType: a.DType, Dims: []int{m, n}}}, nil
}

// matMulRule follows numpy.matmul: 1-D operands are promoted to matrices
// (and the added axis removed), leading axes broadcast.
func matMulRule(ai, bi int, dt tensor.DType) rule {
	return func(c *nodeCtx) ([]*Value, error) {
		a, err := c.needRank(ai, 1)
		if err != nil {
			return nil, err
		}
		b, err := c.needRank(bi, 1)
		if err != nil {
			return nil, err
		}
		out, err := matMulShape(a.Dims, b.Dims)
		if err != nil {
			return nil, err
		}
		t := a.DType
		switch {
		case dt >= 0:
			t = dt
		case c.n.OpType == "QLinearMatMul":
			if zp := c.input(7); zp != nil {
				t = zp.DType
			}
		}
		return []*Value{{DType: t, Dims: out}}, nil
	}
}

func matMulShape(a, b []int) ([]int, error) {
	ad, bd := clone(a), clone(b)
	if len(a) == 1 {
		ad = []int{1, a[0]}
	}
	if len(b) == 1 {
		bd = []int{b[0], 1}
	}
	m, k := ad[len(ad)-2], ad[len(ad)-1]
	kb, n := bd[len(bd)-2], bd[len(bd)-1]
	if k != kb {
		return nil, fmt.Errorf("cannot multiply %v by %v: inner dimensions %d and %d differ", a, b, k, kb)
	}
	batch, err := BroadcastShape(ad[:len(ad)-2], bd[:len(bd)-2])
	if err != nil {
		return nil, err
	}
	out := batch
	if len(a) > 1 {
		out = append(out, m)
	}
	if len(b) > 1 {
		out = append(out, n)
	}
	return out, nil
}
