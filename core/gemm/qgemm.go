package gemm

import (
	"fmt"
	"math"
)

// Integer GEMM, for the convolutions of a quantized (QDQ) model. Its
// weights are integer codes times a scale per output channel and its
// input activation is a code times one step, so the product can be summed
// exactly in int32 and scaled once at the end: C = alpha_row * (A * B),
// alpha = weight scale * activation step. Where the platform has an
// integer kernel (the WebAssembly SIMD module's i32x4.dot_i16x8_s: eight
// multiply-adds an instruction against four for a float multiply-add, on
// half the bytes; natively AVX2's VPMADDWD, sixteen) that is faster than
// the float product of the dequantized values, and its result differs from
// it only by the float product's own rounding (the integer sum has none).
// Both kernels make the same operations after the sum (convert, multiply
// by the row's scale, add to C), so they give the same bits.
//
// B arrives as the float activation itself (step * code), which every
// other reader of the activation needs anyway: the kernel recovers each
// code as round(v / step) while packing, exactly (the float is within
// 1e-4 of step * code for any code up to 2^15), and refuses B when a value
// is NaN or a code beyond the bound that keeps the int32 sums exact.

// QuantA is the A of Qgemm: m x k integer codes packed once for the
// kernel, with the scale of each row.
type QuantA struct {
	m, k int
	// strips holds ceil(m/4) strips of ceil(k/2) steps, each step the
	// pair of consecutive codes (k, k+1) of the strip's four rows; rows
	// past m and the code after an odd k are 0.
	strips []int16
	// alpha is the scale of each row, padded with 0 to the strips' rows.
	alpha []float32
	// bLimit is the largest |code| of B for which every sum of k products
	// fits in int32 (at most 2^15 - 1, the int16 range).
	bLimit int
}

// NewQuantA packs codes (m x k, row-major, each within +-32767) with the
// row scales alpha (m of them).
func NewQuantA(codes []int16, m, k int, alpha []float32) (*QuantA, error) {
	if m < 1 || k < 1 || len(codes) != m*k || len(alpha) != m {
		return nil, fmt.Errorf("gemm: integer A of %d codes and %d scales does not match %d x %d", len(codes), len(alpha), m, k)
	}
	peak := 0
	for _, c := range codes {
		if c == math.MinInt16 {
			return nil, fmt.Errorf("gemm: integer A holds the code %d, outside +-32767", c)
		}
		peak = max(peak, int(abs16(c)))
	}
	limit := math.MaxInt16
	if peak > 0 {
		limit = min(limit, math.MaxInt32/(k*peak))
	}
	if limit < 1 {
		return nil, fmt.Errorf("gemm: integer A of depth %d and codes up to %d leaves no room in int32 for B", k, peak)
	}
	strips, pairs := (m+3)/4, (k+1)/2
	a := &QuantA{m: m, k: k, strips: make([]int16, strips*pairs*8), alpha: make([]float32, strips*4), bLimit: limit}
	copy(a.alpha, alpha)
	for r := 0; r < m; r++ {
		s, lane := r/4, r%4
		for c := 0; c < k; c++ {
			a.strips[(s*pairs+c/2)*8+lane*2+c%2] = codes[r*k+c]
		}
	}
	return a, nil
}

// Codes returns A's codes, m x k row-major, unpacked from the strips.
func (a *QuantA) Codes() []int16 {
	pairs := (a.k + 1) / 2
	codes := make([]int16, a.m*a.k)
	for r := 0; r < a.m; r++ {
		s, lane := r/4, r%4
		for c := 0; c < a.k; c++ {
			codes[r*a.k+c] = a.strips[(s*pairs+c/2)*8+lane*2+c%2]
		}
	}
	return codes
}

// Rows, Depth and BLimit are m, k and the largest |code| of B that Qgemm
// accepts.
func (a *QuantA) Rows() int   { return a.m }
func (a *QuantA) Depth() int  { return a.k }
func (a *QuantA) BLimit() int { return a.bLimit }

// IntegerKernel reports whether Qgemm and QgemmPanels can run here; where
// they cannot they return false at once.
func IntegerKernel() bool { return qgemm != nil }

// Qgemm computes C = diag(alpha) * A * B, or adds it to C when acc is set,
// for B (k x n, row stride ldb) holding step * code values (inv = 1/step).
// It reports false when the platform has no integer kernel (C untouched)
// or when B holds NaN or a code beyond a.BLimit(): C's columns may then be
// partly written, and the caller computes them again another way.
func Qgemm(a *QuantA, n int, b []float32, ldb int, inv float32, acc bool, c []float32, ldc int) bool {
	checkSizes(false, false, a.m, n, a.k, a.m*a.k, a.k, len(b), ldb, len(c), ldc)
	if qgemm == nil || n == 0 {
		return qgemm != nil
	}
	return qgemm(a, n, operandB{b: b, ldb: ldb}, inv, acc, c, ldc)
}

// QgemmPanels is Qgemm with B written block by block by src (a
// convolution's col matrix, as SgemmPanels takes it).
func QgemmPanels(a *QuantA, n int, src PanelSource, inv float32, acc bool, c []float32, ldc int) bool {
	if src == nil {
		panic("gemm: QgemmPanels with a nil PanelSource")
	}
	checkSizes(false, false, a.m, n, a.k, a.m*a.k, a.k, a.k*n, n, len(c), ldc)
	if qgemm == nil || n == 0 {
		return qgemm != nil
	}
	return qgemm(a, n, operandB{src: src}, inv, acc, c, ldc)
}

// qgemm is the platform's integer kernel, nil where there is none (set by
// dispatch_wasm.go when the host bound the SIMD module). B goes by value:
// a pointer through a function variable would escape, one allocation per
// call.
var qgemm func(a *QuantA, n int, b operandB, inv float32, acc bool, c []float32, ldc int) bool

func abs16(c int16) int16 {
	if c < 0 {
		return -c
	}
	return c
}
