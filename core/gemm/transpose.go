package gemm

import "fmt"

// Transpose writes the transpose of src (rows x cols, row-major) into dst
// (cols x rows): with the wasm kernel's vector transpose where the host
// bound it, a Go loop elsewhere. Values are copied, so every platform gives
// the same result.
func Transpose(dst, src []float32, rows, cols int) {
	if rows < 0 || cols < 0 || len(src) < rows*cols || len(dst) < rows*cols {
		panic(fmt.Sprintf("gemm: Transpose of %d x %d with %d source and %d destination elements", rows, cols, len(src), len(dst)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	transpose(dst, src, rows, cols)
}

// TransposesAApart reports whether Sgemm with transA copies op(A) into a
// transposed buffer in a pass of its own before multiplying (the wasm
// kernel, per call and k-block), rather than while packing it (AVX2 and
// pure Go). A caller multiplying one transposed A by many B then saves that
// pass by transposing A once itself (Transpose) and calling Sgemm without
// transA: the kernel multiplies the same values in the same order, so the
// bits are the same.
func TransposesAApart() bool { return transposesAApart }

// transpose and transposesAApart are set by dispatch_wasm.go when the host
// bound the SIMD kernel.
var (
	transpose        = transposeGo
	transposesAApart = false
)

func transposeGo(dst, src []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c, v := range src[r*cols : (r+1)*cols] {
			dst[c*rows+r] = v
		}
	}
}
