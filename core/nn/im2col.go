package nn

import "fmt"

// Im2Col unrolls the windows of img (channels x w.In, row-major) into col,
// a (channels*KernelSize) x OutSize matrix: row c*KernelSize+k holds, for
// every output position, the image value under kernel offset k of channel
// c (0 in the padding). A convolution is then W (M x channels*KernelSize)
// times col. col must hold channels*KernelSize*OutSize values.
func Im2Col(col, img []float32, channels int, w *Window) {
	mustFit("Im2Col", col, channels*w.KernelSize()*w.OutSize(), img, channels*w.InSize())
	p := w.promote3()
	im2colPromoted(col, img, channels, &p)
}

// Im2ColRows is Im2Col restricted to the outputs whose index in the first
// spatial dimension lies in [lo, hi): a block of consecutive columns of
// Im2Col's matrix, written as a (channels*KernelSize) x cols matrix with
// cols = (hi-lo)*OutSize/Out[0]. A convolution multiplies block by block so
// that its scratch holds one block instead of the whole matrix.
func Im2ColRows(col, img []float32, channels int, w *Window, lo, hi int) {
	if lo < 0 || hi > w.Out[0] || lo >= hi {
		panic(fmt.Sprintf("nn.Im2ColRows: rows [%d, %d) outside [0, %d)", lo, hi, w.Out[0]))
	}
	rowLen := w.OutSize() / w.Out[0]
	mustFit("Im2ColRows", col, channels*w.KernelSize()*(hi-lo)*rowLen, img, channels*w.InSize())
	p := w.promote3()
	// The block is the matrix of a window with hi-lo outputs in that
	// dimension whose first output reads where output lo did: the padding
	// before it shrinks by lo strides, and may turn negative (a crop),
	// which the index arithmetic below handles like any other offset.
	d := maxSpatialDims - len(w.In)
	p.Out[d] = hi - lo
	p.PadBegin[d] -= lo * p.Strides[d]
	im2colPromoted(col, img, channels, &p)
}

// im2colPromoted is Im2Col on a promoted window (col sized by the caller).
func im2colPromoted(col, img []float32, channels int, p *window3) {
	if p.In[0] == 1 && p.Kernel[0] == 1 && p.Out[0] == 1 {
		if !simdIm2Col(col, img, channels, p) { // the wasm SIMD kernel, when there is one
			im2col2D(col, img, channels, p)
		}
		return
	}
	windowRows(p, channels, func(row []float32, plane []float32, off int, outLo, outHi int) {
		clear(row[:outLo])
		s := p.Strides[2]
		if s == 1 {
			copy(row[outLo:outHi], plane[outLo+off:outHi+off])
		} else {
			src := plane[outLo*s+off:]
			dst := row[outLo:outHi]
			for i := range dst {
				dst[i] = src[i*s]
			}
		}
		clear(row[outHi:])
	}, img, col, true)
}

// im2col2D is Im2Col for 1-D and 2-D windows (promoted, with unit depth):
// the same rows, in plain loops. Every CNN conv of Pare's targets comes
// here; in WebAssembly the generic walker's closure call per output row
// and clear calls per edge cost more than the copying itself on small
// images (ResNet-8's 32x32 and below).
func im2col2D(col, img []float32, channels int, p *window3) {
	inH, inW := p.In[1], p.In[2]
	outH, outW := p.Out[1], p.Out[2]
	kH, kW := p.Kernel[1], p.Kernel[2]
	sH, sW := p.Strides[1], p.Strides[2]
	dH, dW := p.Dilations[1], p.Dilations[2]
	padH, padW := p.PadBegin[1], p.PadBegin[2]
	inPlane, outSize := inH*inW, outH*outW
	sameShape := sH == 1 && sW == 1 && outW == inW
	r := 0
	for c := 0; c < channels; c++ {
		plane := img[c*inPlane : (c+1)*inPlane]
		for kh := 0; kh < kH; kh++ {
			for kw := 0; kw < kW; kw++ {
				dst := col[r*outSize : (r+1)*outSize]
				r++
				if sameShape {
					im2colShifted(dst, plane, inH, inW, outH, kh*dH-padH, kw*dW-padW)
					continue
				}
				off := kw*dW - padW
				lo, hi := outputSpan(off, sW, inW, outW)
				for oh := 0; oh < outH; oh++ {
					seg := dst[oh*outW : (oh+1)*outW]
					ih := oh*sH - padH + kh*dH
					if ih < 0 || ih >= inH || lo >= hi {
						clear(seg)
						continue
					}
					src := plane[ih*inW : (ih+1)*inW]
					for i := 0; i < lo; i++ {
						seg[i] = 0
					}
					d := seg[lo:hi]
					switch {
					case sW == 1 && len(d) >= 16:
						copy(d, src[lo+off:hi+off])
					case sW == 1:
						s := src[lo+off : hi+off]
						s = s[:len(d)]
						for i := range d {
							d[i] = s[i]
						}
					case sW == 2 && simdDecimate2(d, src[lo*sW+off:]):
						// written in AVX2 where there is one
					default:
						s := src[lo*sW+off:]
						for i := range d {
							d[i] = s[i*sW]
						}
					}
					for i := hi; i < outW; i++ {
						seg[i] = 0
					}
				}
			}
		}
	}
}

// im2colShifted writes one row of col for a stride-1 window whose output
// rows are as wide as the image rows ("same" padding, ResNet's 3x3 convs):
// the row is the image plane shifted by offH rows and offW columns, so it
// is one bulk copy, after which the columns that wrapped around from the
// neighbouring image row and the rows above or below the image are
// zeroed.
func im2colShifted(dst, plane []float32, inH, inW, outH, offH, offW int) {
	outW := inW
	lo, hi := outputSpan(offW, 1, inW, outW)
	rowLo, rowHi := outputSpan(offH, 1, inH, outH)
	clear(dst[:rowLo*outW])
	clear(dst[rowHi*outW:])
	if rowLo >= rowHi {
		return
	}
	start, end := rowLo*outW, rowHi*outW
	shift := offH*inW + offW
	from, to := max(start+shift, 0), min(end+shift, len(plane))
	if from < to {
		copy(dst[from-shift:to-shift], plane[from:to])
	}
	// Column by column: a 3x3 window leaves at most one wrapped column
	// per row, and a strided loop per column costs a store a row where a
	// loop per row and edge cost its set-up twice a row (half of this
	// function's time on 8-wide rows).
	rows := dst[start:end]
	for e := 0; e < lo; e++ {
		for k := e; k < len(rows); k += outW {
			rows[k] = 0
		}
	}
	for e := hi; e < outW; e++ {
		for k := e; k < len(rows); k += outW {
			rows[k] = 0
		}
	}
}

// Col2Im is the adjoint of Im2Col: it adds every entry of col into the image
// position it was read from (padding entries are dropped). img is
// accumulated into, not overwritten; callers clear it first when needed.
// ConvTranspose and the input gradient of Conv are a GEMM followed by
// Col2Im.
func Col2Im(img, col []float32, channels int, w *Window) {
	mustFit("Col2Im", col, channels*w.KernelSize()*w.OutSize(), img, channels*w.InSize())
	p := w.promote3()
	if p.In[0] == 1 && p.Kernel[0] == 1 && p.Out[0] == 1 && simdCol2Im(img, col, channels, &p) { // the wasm SIMD kernel, when there is one
		return
	}
	windowRows(&p, channels, func(row []float32, plane []float32, off int, outLo, outHi int) {
		s := p.Strides[2]
		if s == 1 {
			dst := plane[outLo+off : outHi+off]
			src := row[outLo:outHi]
			for i, v := range src {
				dst[i] += v
			}
		} else {
			dst := plane[outLo*s+off:]
			src := row[outLo:outHi]
			for i, v := range src {
				dst[i*s] += v
			}
		}
	}, img, col, false)
}

// windowRows walks the col matrix of a 3-D promoted window one output row
// (fixed channel, kernel offset, od, oh) at a time and calls fn with that
// row segment of col, the matching image row, the offset of output 0's
// image column, and the range of outputs whose image column is inside the
// row. Rows that fall entirely in the padding are cleared when clearPad is
// set (Im2Col) and skipped otherwise (Col2Im).
func windowRows(p *window3, channels int, fn func(row, plane []float32, off, outLo, outHi int), img, col []float32, clearPad bool) {
	inD, inH, inW := p.In[0], p.In[1], p.In[2]
	outD, outH, outW := p.Out[0], p.Out[1], p.Out[2]
	outSize := outD * outH * outW
	inSize := inD * inH * inW
	r := 0
	for c := 0; c < channels; c++ {
		chImg := img[c*inSize : (c+1)*inSize]
		for kd := 0; kd < p.Kernel[0]; kd++ {
			for kh := 0; kh < p.Kernel[1]; kh++ {
				for kw := 0; kw < p.Kernel[2]; kw++ {
					colRow := col[r*outSize : (r+1)*outSize]
					r++
					off := kw*p.Dilations[2] - p.PadBegin[2]
					outLo, outHi := outputSpan(off, p.Strides[2], inW, outW)
					for od := 0; od < outD; od++ {
						id := od*p.Strides[0] - p.PadBegin[0] + kd*p.Dilations[0]
						for oh := 0; oh < outH; oh++ {
							seg := colRow[(od*outH+oh)*outW : (od*outH+oh+1)*outW]
							ih := oh*p.Strides[1] - p.PadBegin[1] + kh*p.Dilations[1]
							if id < 0 || id >= inD || ih < 0 || ih >= inH || outLo >= outHi {
								if clearPad {
									clear(seg)
								}
								continue
							}
							fn(seg, chImg[(id*inH+ih)*inW:(id*inH+ih+1)*inW], off, outLo, outHi)
						}
					}
				}
			}
		}
	}
}

// outputSpan returns the outputs [lo, hi) of a dimension whose image index
// o*stride+off lies in [0, in), clamped to [0, out).
func outputSpan(off, stride, in, out int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	if in-off <= 0 {
		return 0, 0
	}
	hi = (in-1-off)/stride + 1
	hi = min(hi, out)
	lo = min(lo, hi)
	return lo, hi
}

func mustFit(op string, col []float32, colLen int, img []float32, imgLen int) {
	if len(col) < colLen || len(img) < imgLen {
		panic(fmt.Sprintf("nn.%s: col has %d values (need %d), image has %d (need %d)", op, len(col), colLen, len(img), imgLen))
	}
}
