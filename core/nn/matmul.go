package nn

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// GemmParams are the attributes of ONNX Gemm.
type GemmParams struct {
	TransA, TransB bool
	Alpha, Beta    float32
}

// GemmShape checks A, B and the optional C of Gemm and returns the M x N
// output shape.
func GemmShape(aShape, bShape, cShape []int, p GemmParams) ([]int, error) {
	if len(aShape) != 2 || len(bShape) != 2 {
		return nil, fmt.Errorf("Gemm: A %v and B %v must be 2-D", aShape, bShape)
	}
	m, k := aShape[0], aShape[1]
	if p.TransA {
		m, k = k, m
	}
	kb, n := bShape[0], bShape[1]
	if p.TransB {
		kb, n = n, kb
	}
	if k != kb {
		return nil, fmt.Errorf("Gemm: inner dimensions differ: A %v (transA=%v) and B %v (transB=%v)", aShape, p.TransA, bShape, p.TransB)
	}
	if cShape != nil {
		if len(cShape) > 2 || (len(cShape) == 2 && cShape[0] != 1 && cShape[0] != m) || (len(cShape) >= 1 && cShape[len(cShape)-1] != 1 && cShape[len(cShape)-1] != n) {
			return nil, fmt.Errorf("Gemm: C %v does not broadcast to the %d x %d output", cShape, m, n)
		}
	}
	return []int{m, n}, nil
}

// GemmInto computes y = alpha*op(A)*op(B) + beta*C into y (M x N). c may be
// nil; otherwise it broadcasts to M x N (scalar, row, column or full).
func GemmInto(y, a, b, c *tensor.Tensor, p GemmParams) error {
	var cShape []int
	if c != nil {
		cShape = c.Shape
	}
	shape, err := GemmShape(a.Shape, b.Shape, cShape, p)
	if err != nil {
		return err
	}
	for _, t := range []*tensor.Tensor{y, a, b, c} {
		if t != nil && (t.DType != tensor.Float32 || len(t.F32) != t.Len()) {
			return fmt.Errorf("Gemm: operands must be float32 tensors with data matching their shape (got %v %v)", t.DType, t.Shape)
		}
	}
	if !slices.Equal(y.Shape, shape) {
		return fmt.Errorf("Gemm: output %v, want %v", y.Shape, shape)
	}
	m, n := shape[0], shape[1]
	k := a.Shape[1]
	if p.TransA {
		k = a.Shape[0]
	}
	beta := float32(0)
	if c != nil && p.Beta != 0 {
		beta = p.Beta
		broadcastRows(y.F32, c, m, n)
	}
	gemm.Sgemm(p.TransA, p.TransB, m, n, k, p.Alpha, a.F32, a.Shape[1], b.F32, b.Shape[1], beta, y.F32, n)
	return nil
}

// broadcastRows writes C broadcast to m x n into y.
func broadcastRows(y []float32, c *tensor.Tensor, m, n int) {
	cs := c.Shape
	rows, cols := 1, 1
	if len(cs) == 2 {
		rows, cols = cs[0], cs[1]
	} else if len(cs) == 1 {
		cols = cs[0]
	}
	for i := 0; i < m; i++ {
		row := y[i*n : (i+1)*n]
		src := c.F32[(i%rows)*cols : (i%rows+1)*cols]
		if cols == n {
			copy(row, src)
			continue
		}
		for j := range row {
			row[j] = src[0]
		}
	}
}

// Gemm allocates and returns ONNX Gemm.
func Gemm(a, b, c *tensor.Tensor, p GemmParams) (*tensor.Tensor, error) {
	var cShape []int
	if c != nil {
		cShape = c.Shape
	}
	shape, err := GemmShape(a.Shape, b.Shape, cShape, p)
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, shape)
	if err := GemmInto(y, a, b, c, p); err != nil {
		return nil, err
	}
	return y, nil
}

// MatMulShape returns the numpy-semantics output shape of A x B: a 1-D A
// is a row vector and a 1-D B a column vector (the added dimension is
// removed from the result); batch dimensions broadcast.
func MatMulShape(aShape, bShape []int) ([]int, error) {
	if len(aShape) == 0 || len(bShape) == 0 {
		return nil, fmt.Errorf("MatMul: operands A %v and B %v must have rank >= 1", aShape, bShape)
	}
	if len(aShape) == 2 && len(bShape) == 2 {
		// Two matrices (a classifier's MatMul): no batch to broadcast.
		if aShape[1] != bShape[0] {
			return nil, fmt.Errorf("MatMul: inner dimensions differ: A %v and B %v", aShape, bShape)
		}
		out := []int{aShape[0], bShape[1]}
		if _, err := checkedProduct("MatMul", out); err != nil {
			return nil, err
		}
		return out, nil
	}
	a, b := promoteMatMul(aShape, bShape)
	if a[len(a)-1] != b[len(b)-2] {
		return nil, fmt.Errorf("MatMul: inner dimensions differ: A %v and B %v", aShape, bShape)
	}
	batch, err := broadcastBatch(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return nil, fmt.Errorf("MatMul: batch dimensions of A %v and B %v do not broadcast", aShape, bShape)
	}
	out := batch
	if len(aShape) > 1 {
		out = append(out, a[len(a)-2])
	}
	if len(bShape) > 1 {
		out = append(out, b[len(b)-1])
	}
	if _, err := checkedProduct("MatMul", out); err != nil {
		return nil, err
	}
	return out, nil
}

func promoteMatMul(aShape, bShape []int) (a, b []int) {
	a, b = aShape, bShape
	if len(a) == 1 {
		a = []int{1, a[0]}
	}
	if len(b) == 1 {
		b = []int{b[0], 1}
	}
	return a, b
}

// broadcastBatch is the batch shape of a matrix product: the dimensions
// before the last two of each operand, broadcast numpy-style.
func broadcastBatch(a, b []int) ([]int, error) {
	return graph.BroadcastShape(a, b)
}

// MatMulInto computes the numpy-semantics matrix product into y.
func MatMulInto(y, a, b *tensor.Tensor) error {
	for _, t := range [...]*tensor.Tensor{y, a, b} {
		if t.DType != tensor.Float32 || len(t.F32) != t.Len() {
			return fmt.Errorf("MatMul: operands must be float32 tensors with data matching their shape (got %v %v)", t.DType, t.Shape)
		}
	}
	if len(a.Shape) == 2 && len(b.Shape) == 2 {
		// Checked in place: MatMulShape allocates the shape it returns.
		m, k, n := a.Shape[0], a.Shape[1], b.Shape[1]
		if b.Shape[0] != k || len(y.Shape) != 2 || y.Shape[0] != m || y.Shape[1] != n {
			return fmt.Errorf("MatMul: A %v times B %v into output %v", a.Shape, b.Shape, y.Shape)
		}
		gemm.Sgemm(false, false, m, n, k, 1, a.F32, k, b.F32, n, 0, y.F32, n)
		return nil
	}
	shape, err := MatMulShape(a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if !slices.Equal(y.Shape, shape) {
		return fmt.Errorf("MatMul: output %v, want %v", y.Shape, shape)
	}
	as, bs := promoteMatMul(a.Shape, b.Shape)
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	aBatch, bBatch := as[:len(as)-2], bs[:len(bs)-2]
	if product(bBatch) == 1 {
		// B is one matrix: all of A's batch is one tall GEMM.
		gemm.Sgemm(false, false, product(aBatch)*m, n, k, 1, a.F32, k, b.F32, n, 0, y.F32, n)
		return nil
	}
	batch, _ := broadcastBatch(aBatch, bBatch)
	aIdx, bIdx := batchOffsets(batch, aBatch), batchOffsets(batch, bBatch)
	for i := range aIdx {
		gemm.Sgemm(false, false, m, n, k, 1, a.F32[aIdx[i]*m*k:], k, b.F32[bIdx[i]*k*n:], n, 0, y.F32[i*m*n:], n)
	}
	return nil
}

// batchOffsets maps every index of the broadcast batch shape to the matrix
// index in an operand whose batch shape is src (right-aligned, size-1 dims
// repeated).
func batchOffsets(batch, src []int) []int {
	total := product(batch)
	out := make([]int, total)
	strides := make([]int, len(batch))
	acc := 1
	for i := len(batch) - 1; i >= 0; i-- {
		j := i - (len(batch) - len(src))
		if j >= 0 && src[j] != 1 {
			strides[i] = acc
		}
		if j >= 0 {
			acc *= src[j]
		}
	}
	for idx := 0; idx < total; idx++ {
		rem, off := idx, 0
		for i := len(batch) - 1; i >= 0; i-- {
			off += (rem % batch[i]) * strides[i]
			rem /= batch[i]
		}
		out[idx] = off
	}
	return out
}

// MatMul allocates and returns the numpy-semantics product of a and b.
func MatMul(a, b *tensor.Tensor) (*tensor.Tensor, error) {
	shape, err := MatMulShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, shape)
	if err := MatMulInto(y, a, b); err != nil {
		return nil, err
	}
	return y, nil
}
