package nn

import "math"

// depthwise3x3Args is one call of the SIMD depthwise kernel (simd_wasm.go):
// channels planes of one batch item, 3x3 weights, dilation 1, the clamp
// bounds (+-Inf for none), and [colLo, colHi), the outputs of a row whose
// three taps all lie inside the image row.
type depthwise3x3Args struct {
	y, x, w                        []float32
	channels, inH, inW, outH, outW int
	strideH, strideW, padT, padL   int
	colLo, colHi                   int
	lo, hi                         float32
}

// convDepthwise computes a 1-D or 2-D convolution in which every group has
// one input channel (depthwise, with any channel multiplier) directly,
// without im2col: im2col would build a K x OutSize matrix per channel only
// to multiply it by a 1 x K row, a GEMM too thin to pay for its packing.
// y holds the bias (and residual) or zeros; each output row is finished,
// and e applied to it, while it is in L1.
//
// Kernels three wide (MobileNet's 3x3, at any stride and dilation) sum
// their taps in registers: one read-modify-write of an output per kernel
// row (one in all for the three rows of an interior 3x3 row), instead of
// one per tap. Go's WebAssembly has no SIMD, and there the stores were
// most of the time. Other widths add one tap at a time.
//
// In WebAssembly with the SIMD kernel module, 3x3 kernels with one output
// channel per input channel, dilation 1 and a horizontal stride of 1 or 2
// (all of MobileNet's) go to the module's depthwise3x3 instead, which also
// applies the clamp; a geometry it declines stays here.
func convDepthwise(y, x, w []float32, g *ConvGeometry, e *Epilogue) {
	p := g.promote3()
	inH, inW := p.In[1], p.In[2]
	outH, outW := p.Out[1], p.Out[2]
	kH, kW := p.Kernel[1], p.Kernel[2]
	sH, sW := p.Strides[1], p.Strides[2]
	dH, dW := p.Dilations[1], p.Dilations[2]
	padH, padW := p.PadBegin[1], p.PadBegin[2]
	mult := g.OutChannels / g.Group
	inPlane, outPlane, kSize := inH*inW, outH*outW, kH*kW
	// Outputs [lo, hi) of a row have all three taps of a width-3 kernel
	// inside the image row.
	lo, hi := 0, 0
	if kW == 3 {
		lo0, _ := outputSpan(-padW, sW, inW, outW)
		_, hi2 := outputSpan(2*dW-padW, sW, inW, outW)
		lo, hi = lo0, max(lo0, hi2)
	}
	if kW == 3 && kH == 3 && dH == 1 && dW == 1 && mult == 1 && sW <= 2 && simdKernels {
		a := depthwise3x3Args{
			channels: g.InChannels, inH: inH, inW: inW, outH: outH, outW: outW,
			strideH: sH, strideW: sW, padT: padH, padL: padW, colLo: lo, colHi: hi,
			lo: float32(math.Inf(-1)), hi: float32(math.Inf(1)),
		}
		if e.Clamp {
			a.lo, a.hi = e.Min, e.Max
		}
		if depthwiseBatchSIMD(&a, y, x, w, g.Batch, inPlane, outPlane) {
			return
		}
	}
	var rows [3][]float32 // the image rows under a 3-high kernel
	for n := 0; n < g.Batch; n++ {
		for m := 0; m < g.OutChannels; m++ {
			ch := m / mult
			xp := x[(n*g.InChannels+ch)*inPlane : (n*g.InChannels+ch+1)*inPlane]
			yp := y[(n*g.OutChannels+m)*outPlane : (n*g.OutChannels+m+1)*outPlane]
			wk := w[m*kSize : (m+1)*kSize]
			for oh := 0; oh < outH; oh++ {
				yrow := yp[oh*outW : (oh+1)*outW]
				if kW == 3 && kH == 3 {
					ih0 := oh*sH - padH
					if ih0 >= 0 && ih0+2*dH < inH {
						for r := range rows {
							rows[r] = xp[(ih0+r*dH)*inW : (ih0+r*dH+1)*inW]
						}
						depthwiseRow3x3(yrow, &rows, wk, lo, hi, sW, dW, padW)
						e.clampInPlace(yrow)
						continue
					}
				}
				for kh := 0; kh < kH; kh++ {
					ih := oh*sH - padH + kh*dH
					if ih < 0 || ih >= inH {
						continue
					}
					xrow := xp[ih*inW : (ih+1)*inW]
					wrow := wk[kh*kW : (kh+1)*kW]
					if kW == 3 {
						depthwiseRow3(yrow, xrow, wrow, lo, hi, sW, dW, padW)
						continue
					}
					depthwiseRowTaps(yrow, xrow, wrow, sW, dW, padW)
				}
				e.clampInPlace(yrow)
			}
		}
	}
}

// depthwiseBatchSIMD runs the SIMD kernel on each batch item and reports
// whether it did. Whether the kernel takes a call depends only on the
// geometry, which every item shares: it takes all of them or none.
func depthwiseBatchSIMD(a *depthwise3x3Args, y, x, w []float32, batch, inPlane, outPlane int) bool {
	for n := 0; n < batch; n++ {
		a.x = x[n*a.channels*inPlane : (n+1)*a.channels*inPlane]
		a.y = y[n*a.channels*outPlane : (n+1)*a.channels*outPlane]
		a.w = w
		if !simdDepthwise3x3(a) {
			if n > 0 {
				panic("nn: SIMD depthwise kernel declined a batch item after taking the first")
			}
			return false
		}
	}
	return true
}

// depthwiseRow3x3 adds a full 3x3 window over three image rows to every
// output of yrow: the interior [lo, hi) in one pass, the edges tap by tap.
func depthwiseRow3x3(yrow []float32, rows *[3][]float32, wk []float32, lo, hi, sW, dW, padW int) {
	wk = wk[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := wk[0], wk[1], wk[2], wk[3], wk[4], wk[5], wk[6], wk[7], wk[8]
	r0, r1, r2 := rows[0], rows[1], rows[2]
	if hi > lo {
		span := (hi-lo-1)*sW + 2*dW + 1
		base := lo*sW - padW
		r0, r1, r2 = r0[base:base+span], r1[base:base+span], r2[base:base+span]
		out := yrow[lo:hi]
		if sW == 1 && dW == 1 {
			r0, r1, r2 = r0[:len(out)+2], r1[:len(out)+2], r2[:len(out)+2]
			// The vector kernel (AVX2) takes whole blocks of eight, with
			// this loop's operations in its order.
			done := depthwiseRowSIMD(out, r0, r1, r2, wk)
			depthwiseRow3x3Go(out, r0, r1, r2, wk, done)
		} else {
			for i := range out {
				j := i * sW
				out[i] += w0*r0[j] + w1*r0[j+dW] + w2*r0[j+2*dW] +
					w3*r1[j] + w4*r1[j+dW] + w5*r1[j+2*dW] +
					w6*r2[j] + w7*r2[j+dW] + w8*r2[j+2*dW]
			}
		}
	}
	for r := 0; r < 3; r++ {
		depthwiseEdges(yrow, rows[r], wk[3*r:3*r+3], lo, hi, sW, dW, padW)
	}
}

// depthwiseRow3x3Go is depthwiseRow3x3's stride-1 interior from output
// from on: out[i] += the nine taps of rows r0, r1, r2 (each len(out)+2).
func depthwiseRow3x3Go(out, r0, r1, r2, wk []float32, from int) {
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := wk[0], wk[1], wk[2], wk[3], wk[4], wk[5], wk[6], wk[7], wk[8]
	r0, r1, r2 = r0[:len(out)+2], r1[:len(out)+2], r2[:len(out)+2]
	for i := from; i < len(out); i++ {
		out[i] += w0*r0[i] + w1*r0[i+1] + w2*r0[i+2] +
			w3*r1[i] + w4*r1[i+1] + w5*r1[i+2] +
			w6*r2[i] + w7*r2[i+1] + w8*r2[i+2]
	}
}

// depthwiseRow3 adds one kernel row of width 3 over one image row.
func depthwiseRow3(yrow, xrow, wrow []float32, lo, hi, sW, dW, padW int) {
	w0, w1, w2 := wrow[0], wrow[1], wrow[2]
	if hi > lo {
		base := lo*sW - padW
		r := xrow[base : base+(hi-lo-1)*sW+2*dW+1]
		out := yrow[lo:hi]
		for i := range out {
			j := i * sW
			out[i] += w0*r[j] + w1*r[j+dW] + w2*r[j+2*dW]
		}
	}
	depthwiseEdges(yrow, xrow, wrow, lo, hi, sW, dW, padW)
}

// depthwiseEdges adds the taps that fall inside the image for the outputs
// outside [lo, hi) (at most a few next to the padding). A plain loop, not
// a closure: in WebAssembly a call per edge output cost as much as the
// whole interior.
func depthwiseEdges(yrow, xrow, wrow []float32, lo, hi, sW, dW, padW int) {
	inW, outW := len(xrow), len(yrow)
	if hi <= lo {
		lo, hi = outW, outW // no interior: every output is an edge
	}
	for i := 0; i < outW; i++ {
		if i == lo {
			i = hi
			if i >= outW {
				break
			}
		}
		acc := yrow[i]
		ix := i*sW - padW
		for _, wv := range wrow {
			if ix >= 0 && ix < inW {
				acc += wv * xrow[ix]
			}
			ix += dW
		}
		yrow[i] = acc
	}
}

// depthwiseRowTaps adds one kernel row of any width, a tap at a time.
func depthwiseRowTaps(yrow, xrow, wrow []float32, sW, dW, padW int) {
	inW, outW := len(xrow), len(yrow)
	for kw, wv := range wrow {
		off := kw*dW - padW
		lo, hi := outputSpan(off, sW, inW, outW)
		if lo >= hi {
			continue
		}
		dst := yrow[lo:hi]
		if sW == 1 {
			src := xrow[lo+off : hi+off]
			src = src[:len(dst)]
			for i := range dst {
				dst[i] += wv * src[i]
			}
			continue
		}
		src := xrow[lo*sW+off:]
		for i := range dst {
			dst[i] += wv * src[i*sW]
		}
	}
}
