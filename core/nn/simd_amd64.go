//go:build amd64 && !purego

package nn

import (
	"os"

	"golang.org/x/sys/cpu"
)

// On amd64 with AVX2 the element-wise training passes of channel.go
// (ChannelAffine, BatchNormInputGrad, ReluMask, AddInto) run eight floats
// at a time in assembly (channel_amd64.s): as scalar Go they were about a
// tenth of a ResNet-20 training step. Each value goes through the same
// float32 operations in the same order as the Go loop (a multiply and an
// add, never a fused multiply-add), so results are bit-identical to it
// (TestChannelPassesSIMDMatchGoExactly). The reductions and the
// convolution kernels stay in Go here. PARE_GEMM=go turns these off with
// the GEMM's assembly.
var simdKernels = cpu.X86.HasAVX2 && os.Getenv("PARE_GEMM") != "go"

// hasFMA is the other half of the AVX2 GEMM's requirement (core/gemm's
// dispatch): without it SgemmPanels has no 16-wide panel path and asks
// for B whole, so gathering panels buys nothing.
var hasFMA = cpu.X86.HasFMA

//go:noescape
func reluMaskAVX2(d, grad, y *float32, n int)

//go:noescape
func addAVX2(y, a, b *float32, n int)

//go:noescape
func addReluAVX2(y, a, b *float32, n int)

//go:noescape
func affineAVX2(y, x *float32, n int, k, off float32)

//go:noescape
func affineReluAVX2(y, x *float32, n int, k, off float32)

//go:noescape
func bnInputGradAVX2(dx, grad, x *float32, n int, mu, inv, kc, mg, mgx float32)

// avxBlock is how many floats each assembly loop step takes; the Go
// callers finish the rest of a row with the scalar formula.
const avxBlock = 8

func simdReluMask(d, g, y []float32) bool {
	if !simdKernels || len(d) < avxBlock {
		return false
	}
	g, y = g[:len(d)], y[:len(d)] // callers checked the lengths; this bounds the assembly
	n := len(d) &^ (avxBlock - 1)
	reluMaskAVX2(&d[0], &g[0], &y[0], n)
	reluMaskGo(d[n:], g[n:], y[n:])
	return true
}

func simdAdd(y, a, b []float32, relu bool) bool {
	if !simdKernels || len(y) < avxBlock {
		return false
	}
	a, b = a[:len(y)], b[:len(y)]
	n := len(y) &^ (avxBlock - 1)
	if relu {
		addReluAVX2(&y[0], &a[0], &b[0], n)
	} else {
		addAVX2(&y[0], &a[0], &b[0], n)
	}
	addGo(y[n:], a[n:], b[n:], relu)
	return true
}

func simdChannelAffine(y, x, scale, shift []float32, batch, channels, plane int, relu bool) bool {
	if !simdKernels || plane < avxBlock {
		return false
	}
	n := plane &^ (avxBlock - 1)
	for b := 0; b < batch; b++ {
		for c := 0; c < channels; c++ {
			row := (b*channels + c) * plane
			ys, xs := y[row:row+plane], x[row:row+plane]
			if relu {
				affineReluAVX2(&ys[0], &xs[0], n, scale[c], shift[c])
			} else {
				affineAVX2(&ys[0], &xs[0], n, scale[c], shift[c])
			}
			affineGo(ys[n:], xs[n:], scale[c], shift[c], relu)
		}
	}
	return true
}

func simdBatchNormInputGrad(dx, g, x, mean, invStd, k, meanG, meanGX []float32, batch, channels, plane int) bool {
	if !simdKernels || plane < avxBlock {
		return false
	}
	n := plane &^ (avxBlock - 1)
	for b := 0; b < batch; b++ {
		for c := 0; c < channels; c++ {
			row := (b*channels + c) * plane
			ds, gs, xs := dx[row:row+plane], g[row:row+plane], x[row:row+plane]
			bnInputGradAVX2(&ds[0], &gs[0], &xs[0], n, mean[c], invStd[c], k[c], meanG[c], meanGX[c])
			bnInputGradGo(ds[n:], gs[n:], xs[n:], mean[c], invStd[c], k[c], meanG[c], meanGX[c])
		}
	}
	return true
}

func simdDepthwise3x3(*depthwise3x3Args) bool { return false }

func simdClamp([]float32, float32, float32) bool { return false }

func simdIm2Col([]float32, []float32, int, *window3) bool { return false }

func simdMaxPool([]float32, []float32, int, *window3) bool { return false }

func simdBiasInit([]float32, []float32, []float32, int, int, int) bool { return false }

func simdChannelMoments([]float64, []float32, int, int, int) bool { return false }

func simdChannelGradSums([]float64, []float32, []float32, []float32, []float32, int, int, int) bool {
	return false
}

// simdColPanels serves the AVX2 GEMM's 16-wide panels of stride-1
// "same" windows: in assembly where the output rows are whole panels
// (panels16AVX2), in Go where panels are whole output rows or aligned
// parts of one (panels16Shifted). Everything else takes Panels' generic
// gather.
func simdColPanels(s *ColPanels, dst []float32, p0, kb, j0, nb, width int) bool {
	if !simdKernels || width != 16 || kb == 0 {
		return false
	}
	return s.panels16AVX2(dst, p0, kb, j0, nb) || s.panels16Shifted(dst, p0, kb, j0, nb)
}

// gathersFast reports whether the AVX2 GEMM should take s's panels from
// the image (SgemmPanels) rather than have Im2Col write the col matrix
// and pack it: only where the assembly gathers them (gathersAVX2:
// ResNet's 32- and 16-wide rows). The Go gathers, panels16Shifted and the
// generic one, cost more than Im2Col's bulk copies plus the assembly
// packing (ResNet-20's 8x8 stage through panels16Shifted included).
func (s *ColPanels) gathersFast() bool {
	return simdKernels && hasFMA && s.gathersAVX2()
}
