package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/tensor"
)

// Gemm and MatMul backward. With A' = op(A) (M x K) and B' = op(B)
// (K x N), Y = alpha A'B' + beta C gives dA' = alpha dY B'^T and
// dB' = alpha A'^T dY; a transposed operand takes the transposed product,
// which Sgemm's flags express without copying.

func init() {
	registerGrad("Gemm", gemmGrad, 0, 1, 2)
	registerGrad("MatMul", matMulGrad, 0, 1)
}

func gemmGrad(c *gradContext) ([]*tensor.Tensor, error) {
	a, b, dy := c.in[0], c.in[1], c.dOut[0]
	if err := requireF32(a, "A"); err != nil {
		return nil, err
	}
	if err := requireF32(b, "B"); err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("Gemm operands must be 2-D, got %v and %v", a.Shape, b.Shape)
	}
	transA := c.node.AttrInt("transA", 0) != 0
	transB := c.node.AttrInt("transB", 0) != 0
	alpha := c.node.AttrFloat("alpha", 1)
	beta := c.node.AttrFloat("beta", 1)
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	n := b.Shape[1]
	if transB {
		n = b.Shape[0]
	}
	if dy.Len() != m*n {
		return nil, fmt.Errorf("output gradient %v does not match %d x %d", dy.Shape, m, n)
	}
	lda, ldb := a.Shape[1], b.Shape[1]
	grads := make([]*tensor.Tensor, len(c.in))
	if c.need[0] {
		da := tensor.New(tensor.Float32, a.Shape)
		if transA { // dA = alpha B' dY^T (K x M)
			gemm.Sgemm(transB, true, k, m, n, alpha, b.F32, ldb, dy.F32, n, 0, da.F32, m)
		} else { // dA = alpha dY B'^T (M x K)
			gemm.Sgemm(false, !transB, m, k, n, alpha, dy.F32, n, b.F32, ldb, 0, da.F32, k)
		}
		grads[0] = da
	}
	if c.need[1] {
		db := tensor.New(tensor.Float32, b.Shape)
		if transB { // dB = alpha dY^T A' (N x K)
			gemm.Sgemm(true, transA, n, k, m, alpha, dy.F32, n, a.F32, lda, 0, db.F32, k)
		} else { // dB = alpha A'^T dY (K x N)
			gemm.Sgemm(!transA, false, k, n, m, alpha, a.F32, lda, dy.F32, n, 0, db.F32, n)
		}
		grads[1] = db
	}
	if len(c.need) > 2 && c.need[2] && c.in[2] != nil {
		cs := c.in[2].Shape
		if c.opset < 7 && c.in[2].Len() == n && len(cs) == 1 {
			cs = []int{1, n}
		}
		red, err := reduceTo(dy.F32, []int{m, n}, cs)
		if err != nil {
			return nil, err
		}
		dc := tensor.New(tensor.Float32, c.in[2].Shape)
		for i, v := range red {
			dc.F32[i] = beta * v
		}
		grads[2] = dc
	}
	return grads, nil
}

// matMulGrad handles numpy matmul semantics: 1-D operands are promoted
// (and the gradient demoted back), batch dimensions broadcast.
func matMulGrad(c *gradContext) ([]*tensor.Tensor, error) {
	a, b, dy := c.in[0], c.in[1], c.dOut[0]
	if err := requireF32(a, "A"); err != nil {
		return nil, err
	}
	if err := requireF32(b, "B"); err != nil {
		return nil, err
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("MatMul operands must not be scalars")
	}
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k := as[len(as)-2], as[len(as)-1]
	n := bs[len(bs)-1]
	if bs[len(bs)-2] != k {
		return nil, errShape("MatMul", a.Shape, b.Shape)
	}
	batchA, batchB := as[:len(as)-2], bs[:len(bs)-2]
	grads := make([]*tensor.Tensor, 2)
	da := tensor.New(tensor.Float32, a.Shape)
	db := tensor.New(tensor.Float32, b.Shape)
	if len(batchB) == 0 {
		// B is one matrix: fold A's batch into its rows, one GEMM each.
		rows := a.Len() / k
		if dy.Len() != rows*n {
			return nil, fmt.Errorf("output gradient %v does not match", dy.Shape)
		}
		if c.need[0] {
			gemm.Sgemm(false, true, rows, k, n, 1, dy.F32, n, b.F32, n, 0, da.F32, k)
		}
		if c.need[1] {
			gemm.Sgemm(true, false, k, n, rows, 1, a.F32, k, dy.F32, n, 0, db.F32, n)
		}
		grads[0], grads[1] = da, db
		return maskGrads(grads, c.need), nil
	}
	batch, err := broadcastShape(batchA, batchB)
	if err != nil {
		return nil, err
	}
	sa, err := broadcastStrides(batchA, batch)
	if err != nil {
		return nil, err
	}
	sb, err := broadcastStrides(batchB, batch)
	if err != nil {
		return nil, err
	}
	if dy.Len() != tensor.NumElements(batch)*m*n {
		return nil, fmt.Errorf("output gradient %v does not match", dy.Shape)
	}
	walkBatch(batch, sa, sb, func(o, ia, ib int) {
		dyi := dy.F32[o*m*n : (o+1)*m*n]
		if c.need[0] {
			gemm.Sgemm(false, true, m, k, n, 1, dyi, n, b.F32[ib*k*n:(ib+1)*k*n], n, 1, da.F32[ia*m*k:(ia+1)*m*k], k)
		}
		if c.need[1] {
			gemm.Sgemm(true, false, k, n, m, 1, a.F32[ia*m*k:(ia+1)*m*k], k, dyi, n, 1, db.F32[ib*k*n:(ib+1)*k*n], n)
		}
	})
	grads[0], grads[1] = da, db
	return maskGrads(grads, c.need), nil
}

// walkBatch visits every index of a broadcast batch shape with the
// matching matrix index of each operand.
func walkBatch(batch, sa, sb []int, f func(o, ia, ib int)) {
	if len(batch) == 0 {
		f(0, 0, 0)
		return
	}
	o := 0
	newWalker(batch, sa, sb).rows(func(cnt int, off, step []int) {
		for j := 0; j < cnt; j++ {
			f(o, off[1]+j*step[1], off[2]+j*step[2])
			o++
		}
	})
}

func maskGrads(g []*tensor.Tensor, need []bool) []*tensor.Tensor {
	for i := range g {
		if i >= len(need) || !need[i] {
			g[i] = nil
		}
	}
	return g
}
