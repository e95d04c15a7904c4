package nn

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/gemm"
)

// A stride-1 window's col matrix is the image shifted: row (c, kh, kw) at
// output (oh, ow) reads image value (c, oh+dh, ow+dw), dh and dw the
// row's offsets. Copied into a frame of zeros as wide as the padding, the
// image has every such value, zeros included, at
//
//	c*framePlane + (oh+dh+padT)*frameW + ow+dw+padL,
//
// one offset per row plus one per output position: a gemm.Shifted, which
// the AVX2 kernel reads in place. That replaces gathering each 16-wide
// panel (a masked load and a store per row of the panel, 10-18 % of a
// native ResNet-20 training step) with one copy of the image.

// framesInPlace reports whether ConvFusedInto multiplies s's col matrix as
// a gemm.Shifted over a framed image: a stride-1 window whose output rows
// the platform's GEMM reads in place (AVX2: rows of 8k, ResNet's 32, 16
// and 8), with every offset an int32.
func (s *ColPanels) framesInPlace() bool {
	return s.strideH == 1 && s.strideW == 1 && gemm.ShiftsInPlace(s.outW) &&
		s.channels*s.framePlane() <= math.MaxInt32
}

// frameW and framePlane are the framed image's row and plane sizes.
func (s *ColPanels) frameW() int     { return s.inW + s.padL + s.padR }
func (s *ColPanels) framePlane() int { return (s.inH + s.padT + s.padB) * s.frameW() }

// frameFloats is the length of the frame buffer shifted needs: 0 when
// nothing is padded and the image is its own frame.
func (s *ColPanels) frameFloats() int {
	if s.padT == 0 && s.padB == 0 && s.padL == 0 && s.padR == 0 {
		return 0
	}
	return s.channels * s.framePlane()
}

// shifted copies img (channels x inH x inW) into frame (frameFloats long,
// any contents) with zeros around it, and returns the col matrix as a
// Shifted over it, valid until the next call. Only for a window
// framesInPlace accepts.
func (s *ColPanels) shifted(img, frame []float32) *gemm.Shifted {
	if len(img) < s.channels*s.inPlane || len(frame) < s.frameFloats() {
		panic(fmt.Sprintf("nn.ColPanels: image has %d values and frame %d, need %d and %d", len(img), len(frame), s.channels*s.inPlane, s.frameFloats()))
	}
	if len(s.offsets) != len(s.rows) { // not from the geometry's cache
		p := window3{In: [3]int{1, s.inH, s.inW}, PadBegin: [3]int{0, s.padT, s.padL}, PadEnd: [3]int{0, s.padB, s.padR}}
		s.offsets = appendFrameOffsets(s.offsets[:0], s.rows, &p)
	}
	s.shift = gemm.Shifted{Offsets: s.offsets, Width: s.outW, Stride: s.frameW()}
	if s.frameFloats() == 0 {
		s.shift.Frame = img[:s.channels*s.inPlane]
		return &s.shift
	}
	frame = frame[:s.frameFloats()]
	fw, plane, gap := s.frameW(), s.framePlane(), s.padL+s.padR
	for c := 0; c < s.channels; c++ {
		f := frame[c*plane : (c+1)*plane]
		src := img[c*s.inPlane : (c+1)*s.inPlane]
		clear(f[:s.padT*fw+s.padL])
		for h := 0; h < s.inH; h++ {
			at := (h+s.padT)*fw + s.padL
			copy(f[at:at+s.inW], src[h*s.inW:(h+1)*s.inW])
			// The right padding of this row and the left of the next are
			// adjacent; after the last row come the bottom rows.
			if h == s.inH-1 {
				clear(f[at+s.inW:])
				break
			}
			for i := range f[at+s.inW : at+s.inW+gap] {
				f[at+s.inW+i] = 0
			}
		}
	}
	s.shift.Frame = frame
	return &s.shift
}

// appendFrameOffsets appends the offset in the framed image of each col
// row of window p, for output (0, 0), to offs. Only In and the padding of
// p are read.
func appendFrameOffsets(offs []int32, rows []colRow, p *window3) []int32 {
	fw := p.In[2] + p.PadBegin[2] + p.PadEnd[2]
	plane := (p.In[1] + p.PadBegin[1] + p.PadEnd[1]) * fw
	inPlane := p.In[1] * p.In[2]
	for _, r := range rows {
		c := int(r.plane) / max(inPlane, 1)
		offs = append(offs, int32(c*plane+(int(r.dh)+p.PadBegin[1])*fw+int(r.dw)+p.PadBegin[2]))
	}
	return offs
}

// FramedCol is the col matrix of a stride-1 window, image by image, as a
// gemm.Shifted over a framed copy of the image: what a convolution's
// weight gradient multiplies, dW^T = col(X) * dY^T, without unrolling
// col (gemm.SgemmShiftedA packs its panels from the frame).
type FramedCol struct{ s ColPanels }

// NewFramedCol prepares the framed col matrix of images of channels
// planes under g's window, and reports false unless the window is 1-D or
// 2-D with unit strides and its offsets fit in int32. A geometry from
// ResolveConv lends its cached row table and frame offsets (ConvFusedInto
// reads the same ones), so a training step does not rebuild them for
// every weight gradient.
func NewFramedCol(g *ConvGeometry, channels int) (*FramedCol, bool) {
	f := new(FramedCol)
	ready := false
	if t, ok := colRowsFor(g, channels); ok {
		ready = f.s.resetShared(channels, &g.Window, t)
	} else {
		ready = f.s.Reset(channels, &g.Window)
	}
	if !ready || f.s.strideH != 1 || f.s.strideW != 1 || channels*f.s.framePlane() > math.MaxInt32 {
		return nil, false
	}
	return f, true
}

// FrameFloats is the length of the frame buffer Of needs (0 when the
// window pads nothing).
func (f *FramedCol) FrameFloats() int { return f.s.frameFloats() }

// Of copies img into frame (FrameFloats long, any contents) and returns
// img's col matrix over it, valid until the next call.
func (f *FramedCol) Of(img, frame []float32) *gemm.Shifted { return f.s.shifted(img, frame) }
