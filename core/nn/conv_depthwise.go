package nn

// convDepthwise computes a 1-D or 2-D convolution in which every group has
// one input channel (depthwise, with any channel multiplier) directly,
// without im2col: im2col would build a K x OutSize matrix per channel only
// to multiply it by a 1 x K row, a GEMM too thin to pay for its packing.
// For each output row and kernel tap it adds weight * (a shifted input row)
// to the output row, which stays in L1. y holds the bias (or zeros).
func convDepthwise(y, x, w []float32, g *ConvGeometry) {
	p := g.promote3()
	inH, inW := p.In[1], p.In[2]
	outH, outW := p.Out[1], p.Out[2]
	kH, kW := p.Kernel[1], p.Kernel[2]
	sH, sW := p.Strides[1], p.Strides[2]
	dH, dW := p.Dilations[1], p.Dilations[2]
	padH, padW := p.PadBegin[1], p.PadBegin[2]
	mult := g.OutChannels / g.Group
	inPlane, outPlane, kSize := inH*inW, outH*outW, kH*kW
	for n := 0; n < g.Batch; n++ {
		for m := 0; m < g.OutChannels; m++ {
			ch := m / mult
			xp := x[(n*g.InChannels+ch)*inPlane : (n*g.InChannels+ch+1)*inPlane]
			yp := y[(n*g.OutChannels+m)*outPlane : (n*g.OutChannels+m+1)*outPlane]
			wk := w[m*kSize : (m+1)*kSize]
			for oh := 0; oh < outH; oh++ {
				yrow := yp[oh*outW : (oh+1)*outW]
				for kh := 0; kh < kH; kh++ {
					ih := oh*sH - padH + kh*dH
					if ih < 0 || ih >= inH {
						continue
					}
					xrow := xp[ih*inW : (ih+1)*inW]
					for kw := 0; kw < kW; kw++ {
						wv := wk[kh*kW+kw]
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
			}
		}
	}
}
