//go:build amd64 && !purego

package nn

import (
	"math"
	"os"

	"golang.org/x/sys/cpu"
)

// On amd64 with AVX2 the element-wise training passes of channel.go
// (ChannelAffine, BatchNormInputGrad, ReluMask, AddInto) run eight floats
// at a time in assembly (channel_amd64.s): as scalar Go they were about a
// tenth of a ResNet-20 training step. Each value goes through the same
// float32 operations in the same order as the Go loop (a multiply and an
// add, never a fused multiply-add), so results are bit-identical to it
// (TestChannelPassesSIMDMatchGoExactly). The four-lane float32 block sums
// of ChannelMoments and ChannelGradSums run in SSE (moments4SSE,
// gradSums4SSE), the tails and float64 flushes in Go, with the same bits. The
// convolutions' panel gather is in im2col_panels16_amd64.s. PARE_GEMM=go
// turns all of these off with the GEMM's assembly.
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

//go:noescape
func clipAVX2(y, x *float32, n int, lo, hi float32)

//go:noescape
func clipGradAVX2(d, grad, x *float32, n int, lo, hi float32)

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

func simdClip(y, x []float32, lo, hi float32) bool {
	if !simdKernels || len(y) < avxBlock {
		return false
	}
	x = x[:len(y)]
	n := len(y) &^ (avxBlock - 1)
	clipAVX2(&y[0], &x[0], n, lo, hi)
	clipGo(y[n:], x[n:], lo, hi)
	return true
}

func simdClipGrad(d, g, x []float32, lo, hi float32) bool {
	if !simdKernels || len(d) < avxBlock {
		return false
	}
	g, x = g[:len(d)], x[:len(d)]
	n := len(d) &^ (avxBlock - 1)
	clipGradAVX2(&d[0], &g[0], &x[0], n, lo, hi)
	clipGradGo(d[n:], g[n:], x[n:], lo, hi)
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

//go:noescape
func decimate2AVX2(dst, src *float32, n int)

// simdDecimate2 sets d[i] = s[2i] (a stride-2 window's col row, in
// im2col2D) eight at a time in AVX2 (decimate_amd64.s), the tail in Go.
// As scalar Go, with a bounds check a value, this loop was 6 % of a
// ResNet-20 training step (the weight gradients and forward col matrices
// of its two stride-2 convolutions). s holds at least 2*len(d)-1 values.
func simdDecimate2(d, s []float32) bool {
	if !simdKernels || len(d) < avxBlock {
		return false
	}
	s = s[:2*len(d)-1] // bounds the assembly's reads
	n := len(d) &^ (avxBlock - 1)
	decimate2AVX2(&d[0], &s[0], n)
	for i := n; i < len(d); i++ {
		d[i] = s[2*i]
	}
	return true
}

func simdDepthwise3x3(*depthwise3x3Args) bool { return false }

//go:noescape
func clampZeroToMaxAVX2(v *float32, n int, hiBits uint32)

// simdClamp runs the epilogue's clamps to [0, hi] (relu for hi = +Inf,
// clampZeroToMax otherwise) in AVX2 on whole blocks of eight, the rest in
// their Go loops: integer operations on the bit patterns, so the result is
// theirs to the bit. Other ranges (and a hi of -0) take the Go loops.
func simdClamp(v []float32, lo, hi float32) bool {
	if !simdKernels || lo != 0 || !(hi >= 0) || math.Signbit(float64(hi)) || len(v) < 8 {
		return false
	}
	hb := math.Float32bits(hi)
	toInf := math.IsInf(float64(hi), 1)
	if toInf {
		hb = math.MaxInt32 // no lane's bits exceed it: relu keeps NaNs
	}
	n := len(v) &^ 7
	clampZeroToMaxAVX2(&v[0], n, hb)
	if tail := v[n:]; toInf {
		relu(tail)
	} else {
		clampZeroToMax(tail, hi)
	}
	return true
}

func simdIm2Col([]float32, []float32, int, *window3) bool { return false }

func simdCol2Im([]float32, []float32, int, *window3) bool { return false }

func simdMaxPool([]float32, []float32, int, *window3) bool { return false }

func simdDepthwiseWeightGrad(_, _, _, _ []float32, _ int, _ *window3) bool { return false }

func simdBiasInit([]float32, []float32, []float32, int, int, int) bool { return false }

// simdChannelMoments runs ChannelMoments with each plane's float32 block
// sums in SSE (planeMomentsSSE), bit-identical to planeMoments.
func simdChannelMoments(moments []float64, x []float32, batch, channels, plane int) bool {
	if !simdKernels {
		return false
	}
	channelMoments(planeMomentsSSE, moments, x, batch, channels, plane)
	return true
}

// moments4SSE sums n values (n > 0, a multiple of 4) of x and of x*x into
// four float32 lanes each, lane i taking values i, i+4, ...: out[0:4] and
// out[4:8], from zero, with planeMoments' operations in its order. In
// channel_amd64.s.
//
//go:noescape
func moments4SSE(out *[8]float32, xs *float32, n int)

// planeMomentsSSE is planeMoments with the four-lane loop of each block in
// moments4SSE; the tail and the float64 flushes stay in Go.
func planeMomentsSSE(xs []float32) (sum, sumSq float64) {
	var lanes [8]float32
	for len(xs) > 0 {
		blk := xs[:min(blockLen, len(xs))]
		xs = xs[len(blk):]
		n4 := len(blk) &^ 3
		lanes = [8]float32{}
		if n4 > 0 {
			moments4SSE(&lanes, &blk[0], n4)
		}
		a0, a1, a2, a3 := lanes[0], lanes[1], lanes[2], lanes[3]
		q0, q1, q2, q3 := lanes[4], lanes[5], lanes[6], lanes[7]
		for i := n4; i < len(blk); i++ {
			a0 += blk[i]
			q0 += blk[i] * blk[i]
		}
		sum += float64(a0+a1) + float64(a2+a3)
		sumSq += float64(q0+q1) + float64(q2+q3)
	}
	return sum, sumSq
}

// simdChannelGradSums runs ChannelGradSums with each plane's float32 block
// sums in SSE (planeGradSumsSSE), bit-identical to planeGradSums.
func simdChannelGradSums(sums []float64, g, x, mean, invStd []float32, batch, channels, plane int) bool {
	if !simdKernels {
		return false
	}
	channelGradSums(planeGradSumsSSE, sums, g, x, mean, invStd, batch, channels, plane)
	return true
}

// gradSums4SSE sums n values (n > 0, a multiple of 4) of g and of
// g*(x-mean) into four float32 lanes each, lane i taking values i, i+4,
// ...: out[0:4] and out[4:8], from zero. The operations per value are
// planeGradSums' (a subtraction, a multiply, an add; no fused
// multiply-add), in its order. In channel_amd64.s.
//
//go:noescape
func gradSums4SSE(out *[8]float32, gs, xs *float32, n int, mean float32)

// planeGradSumsSSE is planeGradSums with the four-lane loop of each block
// in gradSums4SSE; the tail and the float64 flushes stay in Go, so the
// result has planeGradSums' bits.
func planeGradSumsSSE(g, xs []float32, mean float32) (sumG, sumGX float64) {
	xs = xs[:len(g)]
	var lanes [8]float32
	for len(g) > 0 {
		n := min(blockLen, len(g))
		gb, xb := g[:n], xs[:n]
		g, xs = g[n:], xs[n:]
		n4 := n &^ 3
		lanes = [8]float32{}
		if n4 > 0 {
			gradSums4SSE(&lanes, &gb[0], &xb[0], n4, mean)
		}
		a0, a1, a2, a3 := lanes[0], lanes[1], lanes[2], lanes[3]
		b0, b1, b2, b3 := lanes[4], lanes[5], lanes[6], lanes[7]
		for i := n4; i < n; i++ {
			a0 += gb[i]
			b0 += gb[i] * (xb[i] - mean)
		}
		sumG += float64(a0+a1) + float64(a2+a3)
		sumGX += float64(b0+b1) + float64(b2+b3)
	}
	return sumG, sumGX
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

//go:noescape
func depthwise3x3RowAVX2(out, r0, r1, r2, w *float32, n int)

// depthwiseRowSIMD runs depthwiseRow3x3Go's first len(out) &^ 7 outputs in
// AVX2 and returns how many it did. r0, r1, r2 hold len(out)+2 floats, wk 9.
func depthwiseRowSIMD(out, r0, r1, r2, wk []float32) int {
	n := len(out) &^ 7
	if !simdKernels || n == 0 || len(r0) < n+2 || len(r1) < n+2 || len(r2) < n+2 || len(wk) < 9 {
		return 0
	}
	depthwise3x3RowAVX2(&out[0], &r0[0], &r1[0], &r2[0], &wk[0], n)
	return n
}
