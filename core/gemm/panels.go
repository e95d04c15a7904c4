package gemm

import (
	"fmt"
	"sync"
)

// PanelSource is a B operand that is never stored as a matrix: it writes
// blocks of itself straight into the packed panels a kernel multiplies. A
// convolution's im2col matrix is the case it exists for: written as a
// whole it is 9x the image for a 3x3 kernel and is read back once by the
// packer, so generating each panel from the image where the kernel wants
// it saves a pass over the largest array of the step.
type PanelSource interface {
	// Panels writes rows [p0, p0+kb) and columns [j0, j0+nb) of B into
	// dst as ceil(nb/width) panels, one after the other; panel t holds,
	// for each of the kb rows, width consecutive values of columns
	// j0+t*width onwards, zero past column j0+nb. dst holds exactly
	// ceil(nb/width)*width*kb values. With width = nb (one panel) the
	// block is plain row-major.
	Panels(dst []float32, p0, kb, j0, nb, width int)
}

// SgemmPanels computes C = alpha*op(A)*B + beta*C where B (k x n) is
// produced block by block by src. It is Sgemm with an implicit B: the
// platform's kernel packs its panels through src.Panels instead of copying
// them out of a stored matrix.
func SgemmPanels(transA bool, m, n, k int, alpha float32, a []float32, lda int, src PanelSource, beta float32, c []float32, ldc int) {
	if src == nil {
		panic("gemm: SgemmPanels with a nil PanelSource")
	}
	// B is virtual: check A and C as Sgemm does, B as a dense k x n.
	checkSizes(transA, false, m, n, k, len(a), lda, k*n, n, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	sgemmPanels(transA, m, n, k, alpha, a, lda, src, beta, c, ldc)
}

// panelKernelFunc is the signature of the SgemmPanels implementations.
type panelKernelFunc func(transA bool, m, n, k int, alpha float32, a []float32, lda int, src PanelSource, beta float32, c []float32, ldc int)

// sgemmPanels is the SgemmPanels kernel; the platform files replace it
// when they replace sgemm with a kernel that packs through a PanelSource.
var sgemmPanels panelKernelFunc = sgemmPanelsDense

// sgemmPanelsDense has src write all of B as one row-major panel and
// multiplies it with whatever sgemm is: the pure-Go kernels (and any
// kernel without a panel path) see exactly the matrix an explicit im2col
// would have built.
func sgemmPanelsDense(transA bool, m, n, k int, alpha float32, a []float32, lda int, src PanelSource, beta float32, c []float32, ldc int) {
	if k == 0 {
		sgemm(transA, false, m, n, k, alpha, a, lda, nil, n, beta, c, ldc)
		return
	}
	h := denseB.Get().(*[]float32)
	defer denseB.Put(h)
	if cap(*h) < k*n {
		*h = make([]float32, k*n)
	}
	b := (*h)[:k*n]
	src.Panels(b, 0, k, 0, n, n)
	sgemm(transA, false, m, n, k, alpha, a, lda, b, n, beta, c, ldc)
}

var denseB = sync.Pool{New: func() any { return new([]float32) }}

// MatrixPanels is a PanelSource over a stored row-major matrix B (k x n,
// row stride LDB), or over the transpose of a stored n x k matrix when
// Trans is set: SgemmPanels with it equals Sgemm. It is the reference
// PanelSource the kernels' panel paths are tested with.
type MatrixPanels struct {
	B     []float32
	LDB   int
	Trans bool
}

// Panels implements PanelSource.
func (s *MatrixPanels) Panels(dst []float32, p0, kb, j0, nb, width int) {
	for t := 0; t*width < nb; t++ {
		cols := min(width, nb-t*width)
		panel := dst[t*kb*width : (t+1)*kb*width]
		for p := 0; p < kb; p++ {
			row := panel[p*width : (p+1)*width]
			for q := 0; q < cols; q++ {
				j := j0 + t*width + q
				if s.Trans {
					row[q] = s.B[j*s.LDB+p0+p]
				} else {
					row[q] = s.B[(p0+p)*s.LDB+j]
				}
			}
			clear(row[cols:])
		}
	}
}

// operandB is the B of one kernel call: a stored matrix (b, ldb, trans) or,
// when src is set, a PanelSource. Drivers pack through it so that both
// kinds share one blocking loop.
type operandB struct {
	b     []float32
	ldb   int
	trans bool
	src   PanelSource
}

// panels packs the kb x nb block at (pc, jc) into dst as width-column
// panels through src. dst is sliced to the exact size Panels promises.
func (o *operandB) panels(dst []float32, pc, kb, jc, nb, width int) {
	size := (nb + width - 1) / width * width * kb
	if len(dst) < size {
		panic(fmt.Sprintf("gemm: panel buffer has %d values, needs %d", len(dst), size))
	}
	o.src.Panels(dst[:size], pc, kb, jc, nb, width)
}
