//go:build amd64 && !purego

package nn

import (
	"fmt"
	"os"
)

// Natively, with PARE_WINOGRAD=on (or SetWinograd(true)), Conv takes
// Winograd F(2x2, 3x3) for the shapes winogradFits accepts when the CPU
// has the AVX2 GEMM (simdKernels, hasFMA: the GEMMs on the transformed
// tiles are most of its time). It is off by default: it saved about 4 %
// of a ResNet-20 training step's CPU time (docs/training.md) and would
// make the native CLI's training round differently from the page's
// (wasm, which has no Winograd path), whose files equal the CLI's today.
func init() {
	if simdKernels && hasFMA {
		winogradPlatform = &winogradAVX2
		if os.Getenv("PARE_WINOGRAD") == "on" {
			winogradFast = winogradPlatform
		}
	}
}

// winogradAVX2 are the assembly transforms: rows of tiles a multiple of
// eight (images 16, 32, ... wide).
var winogradAVX2 = winogradTransforms{input: winogradInputAVX2, frame: winogradFrameAVX2, output: winogradOutputAVX2, tileMultiple: 8}

//go:noescape
func winogradFrame16AVX2(pad *float32, wp int, src *float32, h, groups int)

// winogradFrameAVX2 is winogradFrameGo in assembly for rows of 16k
// floats (every plane winogradFits passes with eight-tile rows): a
// memmove call per 32-float row was a tenth of the Winograd path's time.
func winogradFrameAVX2(pad []float32, wp int, src []float32, h, w int) {
	if w%16 != 0 || h <= 0 || wp < w+2 || len(src) < h*w || len(pad) < (h+1)*wp+w+1 {
		panic(fmt.Sprintf("nn: Winograd frame: %d x %d plane of %d values into rows of %d in %d", h, w, len(src), wp, len(pad)))
	}
	winogradFrame16AVX2(&pad[0], wp, &src[0], h, w/16)
}

//go:noescape
func winogradInput8AVX2(v *float32, vStride int, pad *float32, wp, tH, groups int)

//go:noescape
func winogradOutput8AVX2(y, m *float32, mStride, tH, groups, accumulate int)

// winogradInputAVX2 is winogradInputGo in assembly; it checks the extents
// the assembly reads and writes.
func winogradInputAVX2(v []float32, vStride int, pad []float32, wp, tH, tW int) {
	tiles := tH * tW
	if tW%8 != 0 || tH <= 0 || wp < 2*tW+2 || len(pad) < (2*tH+1)*wp+2*tW+2 || vStride < tiles || len(v) < 15*vStride+tiles {
		panic(fmt.Sprintf("nn: Winograd input transform: %d x %d tiles, rows of %d in %d, %d values for planes %d apart", tH, tW, wp, len(pad), len(v), vStride))
	}
	winogradInput8AVX2(&v[0], vStride, &pad[0], wp, tH, tW/8)
}

// winogradOutputAVX2 is winogradOutputGo in assembly; it checks the
// extents the assembly reads and writes.
func winogradOutputAVX2(y []float32, m []float32, mStride int, tH, tW int, accumulate bool) {
	tiles := tH * tW
	if tW%8 != 0 || tH <= 0 || len(y) < 4*tiles || mStride < tiles || len(m) < 15*mStride+tiles {
		panic(fmt.Sprintf("nn: Winograd output transform: %d x %d tiles into %d values, %d values for planes %d apart", tH, tW, len(y), len(m), mStride))
	}
	acc := 0
	if accumulate {
		acc = 1
	}
	winogradOutput8AVX2(&y[0], &m[0], mStride, tH, tW/8, acc)
}
