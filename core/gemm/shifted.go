package gemm

import "fmt"

// Shifted is a B operand (k x n) whose rows are all windows of one array:
//
//	B[r][j] = Frame[Offsets[r] + (j/Width)*Stride + j%Width]
//
// A stride-1 convolution's col matrix is one, once the image is copied
// into a frame of zeros as wide as its padding (core/nn's ColPanels): row
// r = (c, kh, kw) of col is the framed image shifted by kh rows and kw
// columns in channel c, and output row oh of width Width starts oh*Stride
// floats on. A kernel can then read B where it lies, with no panel packed
// at all: SgemmShifted.
type Shifted struct {
	Frame   []float32
	Offsets []int32 // one per row of B
	Width   int     // columns of B per output row
	Stride  int     // distance in Frame between output rows
}

// at is the index in Frame of B[r][j].
func (s *Shifted) at(r, j int) int {
	return int(s.Offsets[r]) + j/s.Width*s.Stride + j%s.Width
}

// check panics unless every B[r][j], r < k, j < n, lies inside Frame: the
// kernels read raw memory. The extremes suffice: at(r, j) grows with
// Offsets[r] and, when Stride >= Width, with j.
func (s *Shifted) check(k, n int) {
	if k == 0 || n == 0 {
		return
	}
	if len(s.Offsets) < k || s.Width < 1 || s.Stride < s.Width {
		panic(fmt.Sprintf("gemm: Shifted with %d offsets for %d rows, width %d, stride %d", len(s.Offsets), k, s.Width, s.Stride))
	}
	lo, hi := s.Offsets[0], s.Offsets[0]
	for _, o := range s.Offsets[1:k] {
		lo, hi = min(lo, o), max(hi, o)
	}
	last := int(hi) + (n-1)/s.Width*s.Stride + (n-1)%s.Width
	if lo < 0 || last >= len(s.Frame) {
		panic(fmt.Sprintf("gemm: Shifted reads [%d, %d] of a %d-value frame", lo, last, len(s.Frame)))
	}
}

// Panels implements PanelSource, so that every kernel multiplies a
// Shifted: those without a path of their own pack it like any other B.
func (s *Shifted) Panels(dst []float32, p0, kb, j0, nb, width int) {
	for t := 0; t*width < nb; t++ {
		cols := min(width, nb-t*width)
		panel := dst[t*kb*width : (t+1)*kb*width]
		for p := 0; p < kb; p++ {
			row := panel[p*width : (p+1)*width]
			for q := 0; q < cols; {
				// A run of the block inside one output row is contiguous.
				j := j0 + t*width + q
				run := min(cols-q, s.Width-j%s.Width)
				i := s.at(p0+p, j)
				copy(row[q:q+run], s.Frame[i:i+run])
				q += run
			}
			clear(row[cols:])
		}
	}
}

// SgemmShifted computes C = alpha*op(A)*B + beta*C for a Shifted B. It is
// SgemmPanels(..., b, ...) with the same bits; where the platform has a
// kernel for it (AVX2: an output row a whole number of 16-column tiles) B
// is read in place instead of being packed.
func SgemmShifted(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *Shifted, beta float32, c []float32, ldc int) {
	if b == nil {
		panic("gemm: SgemmShifted with a nil B")
	}
	checkSizes(transA, false, m, n, k, len(a), lda, k*n, n, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	b.check(k, n)
	if sgemmShifted != nil && sgemmShifted(transA, m, n, k, alpha, a, lda, b, beta, c, ldc) {
		return
	}
	sgemmPanels(transA, m, n, k, alpha, a, lda, b, beta, c, ldc)
}

// SgemmShiftedA computes C = alpha*A*op(B) + beta*C for a Shifted A
// (m x k) where the platform reads one straight from its frame, with
// Sgemm's bits on the same A stored, and reports false, computing nothing,
// where it does not (ShiftsAInPlace).
func SgemmShiftedA(m, n, k int, alpha float32, a *Shifted, transB bool, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	if a == nil {
		panic("gemm: SgemmShiftedA with a nil A")
	}
	if sgemmShiftedA == nil {
		return false
	}
	checkSizes(false, transB, m, n, k, m*k, k, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return true
	}
	a.check(m, k)
	if m == 1 || k == 0 {
		// Sgemm's own paths (its GEMV kernel for one row, beta*C for no
		// depth), on the few values unrolled.
		stored := make([]float32, m*k)
		a.Panels(stored, 0, m, 0, k, max(k, 1))
		Sgemm(false, transB, m, n, k, alpha, stored, max(k, 1), b, ldb, beta, c, ldc)
		return true
	}
	sgemmShiftedA(m, n, k, alpha, a, transB, b, ldb, beta, c, ldc)
	return true
}

// ShiftsAInPlace reports whether SgemmShiftedA computes on this platform.
func ShiftsAInPlace() bool { return sgemmShiftedA != nil }

// sgemmShifted is the platform's kernel for a Shifted B whose Width is a
// multiple of shiftedTile (nil and 0 where there is none); it reports
// false, computing nothing, for shapes it does not take.
var (
	sgemmShifted func(transA bool, m, n, k int, alpha float32, a []float32, lda int, b *Shifted, beta float32, c []float32, ldc int) bool
	shiftedTile  int
	// sgemmShiftedA is the platform's kernel for a Shifted A, nil where
	// there is none.
	sgemmShiftedA func(m, n, k int, alpha float32, a *Shifted, transB bool, b []float32, ldb int, beta float32, c []float32, ldc int)
)

// ShiftsInPlace reports whether SgemmShifted reads a B of width columns
// per output row in place on this platform, rather than packing it as
// SgemmPanels would: a caller that builds a Shifted only to save the
// packing asks first.
func ShiftsInPlace(width int) bool {
	return sgemmShifted != nil && shiftedTile > 0 && width%shiftedTile == 0
}
