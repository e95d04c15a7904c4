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

func simdColPanels(*ColPanels, []float32, int, int, int, int, int) bool { return false }

// gathersFast is false natively: gathering panels in Go costs more than
// Im2Col's bulk copies plus the GEMM's assembly packing.
func (*ColPanels) gathersFast() bool { return false }
