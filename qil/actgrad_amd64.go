//go:build amd64 && !purego

package qil

import (
	"os"

	"golang.org/x/sys/cpu"
)

// On amd64 with AVX2 the element-wise part of an unsigned quantizer's
// gradient runs eight elements at a time in assembly (actgrad_amd64.s):
// as scalar Go it was the largest part of what a QIL step costs beyond
// fine-tuning (BenchmarkQILOverhead, docs/quantization.md). The assembly
// computes each element's dx and the term it adds to dd with the Go
// loop's float32 operations in its order (no fused multiply-add) and
// its masks; the two sums stay in Go, one term after the other in x's
// order, so dc and dd are the Go loop's to the bit
// (TestActGradsUnsignedSIMDMatchesGo). (Summing in the assembly as well,
// the eight terms of a step taken out of the vectors one by one, measured
// slower: 1.5 against 0.85 ms on BenchmarkActGrads.) PARE_GEMM=go turns
// it off, as it turns off core/nn's assembly.
var actGradsAVX2 = cpu.X86.HasAVX2 && os.Getenv("PARE_GEMM") != "go"

// actGradTermsAVX2 writes, for n elements (a multiple of 8), dx as the
// Go loop does and terms[i], the float64 product the Go loop adds to dd
// for element i.
//
//go:noescape
func actGradTermsAVX2(dx, x, dy *float32, terms *float64, n int, lo, width, inv, q, invQ float32)

// actGradsChunk is how many elements go through the assembly before
// their terms are summed: dx and the terms are read back while they are
// still in the first-level cache.
const actGradsChunk = 512

// actGradsUnsignedSIMD takes the longest prefix of x whose length is a
// multiple of 8 and returns its length and that prefix's dc and dd (0
// without AVX2). dx and dy are as long as x (actGradsUnsigned).

func actGradsUnsignedSIMD(dx, x, dy []float32, g actGrid) (n int, dc, dd float64) {
	n = len(x) &^ 7
	if !actGradsAVX2 || n == 0 {
		return 0, 0, 0
	}
	lo, width, q := g.lo, g.width, float32(g.q)
	inv, invQ := 1/width, 1/q
	var terms [actGradsChunk]float64
	for start := 0; start < n; start += actGradsChunk {
		m := min(actGradsChunk, n-start)
		chunk := dx[start : start+m]
		actGradTermsAVX2(&chunk[0], &x[start], &dy[start], &terms[0], m, lo, width, inv, q, invQ)
		for i, t := range terms[:len(chunk)] {
			dc -= float64(chunk[i])
			dd += t
		}
	}
	return n, dc, dd
}
