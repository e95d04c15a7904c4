package nn

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/tensor"
)

// ConvParams are the attributes of ONNX Conv. Nil slices take the ONNX
// defaults: Kernel from the weight's shape, unit strides and dilations, no
// padding. Pads lists all begins then all ends. AutoPad is one of the
// AutoPad constants ("" means NOTSET). Group 0 means 1.
type ConvParams struct {
	Kernel, Strides, Dilations, Pads []int
	AutoPad                          string
	Group                            int
}

// ConvGeometry is a Conv resolved against concrete input shapes.
type ConvGeometry struct {
	Batch, InChannels, OutChannels, Group int
	Window
	// Winograd lets ConvFusedInto compute a stride-1 "same" 3x3
	// convolution by Winograd F(2x2, 3x3) where the platform has fast
	// transforms for it (winograd.go): a caller that accepts its rounding
	// (a different rounding, bounded at 1e-5 of sum |w||x| and measured
	// at about 2e-7, as im2col's) sets it. The training engine does; inference keeps im2col's
	// bits.
	Winograd bool
	// colRows caches the row table of the col matrix (im2col_panels.go).
	colRows *colRowCache
}

// OutShape is the shape of Y: N x M x Out.
func (g *ConvGeometry) OutShape() []int {
	return append([]int{g.Batch, g.OutChannels}, g.Out...)
}

// ResolveConv checks x (N x C x spatial) and w (M x C/group x kernel)
// against p and computes the output geometry.
func ResolveConv(xShape, wShape []int, p ConvParams) (*ConvGeometry, error) {
	if len(xShape) < 3 || len(wShape) != len(xShape) {
		return nil, fmt.Errorf("Conv: input X %v and weight W %v must both be N x C x spatial of equal rank >= 3", xShape, wShape)
	}
	group := p.Group
	if group == 0 {
		group = 1
	}
	n, c, m := xShape[0], xShape[1], wShape[0]
	if group < 0 || c%group != 0 || m%group != 0 || wShape[1]*group != c {
		return nil, fmt.Errorf("Conv: group %d does not fit X %v (C=%d) and W %v (M=%d, C/group=%d)", group, xShape, c, wShape, m, wShape[1])
	}
	kernel := wShape[2:]
	if p.Kernel != nil {
		if !slices.Equal(p.Kernel, kernel) {
			return nil, fmt.Errorf("Conv: kernel_shape %v disagrees with W %v", p.Kernel, wShape)
		}
	}
	win, err := windowSpec{op: "Conv", in: xShape[2:], kernel: kernel, strides: p.Strides, dilations: p.Dilations, pads: p.Pads, autoPad: p.AutoPad}.resolve()
	if err != nil {
		return nil, err
	}
	g := &ConvGeometry{Batch: n, InChannels: c, OutChannels: m, Group: group, Window: win, colRows: new(colRowCache)}
	if _, err := checkedProduct("Conv", g.OutShape()); err != nil {
		return nil, err
	}
	if _, err := checkedProduct("Conv", []int{c / group, win.KernelSize(), win.OutSize()}); err != nil {
		return nil, err
	}
	return g, nil
}

// Conv computes the ONNX Conv of x with weights w and optional bias b.
func Conv(x, w, b *tensor.Tensor, p ConvParams) (*tensor.Tensor, error) {
	g, err := ResolveConv(x.Shape, w.Shape, p)
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, g.OutShape())
	if err := ConvInto(y, x, w, b, g); err != nil {
		return nil, err
	}
	return y, nil
}

// ConvInto computes Conv into y, whose shape must be g.OutShape().
func ConvInto(y, x, w, b *tensor.Tensor, g *ConvGeometry) error {
	return ConvFusedInto(y, x, w, b, g, Epilogue{})
}

// ConvFusedInto computes Conv into y and then applies e (a residual add
// and a clamp) to the result.
func ConvFusedInto(y, x, w, b *tensor.Tensor, g *ConvGeometry, e Epilogue) error {
	return ConvFusedIntoCol(y, x, w, b, g, e, nil)
}

// ConvFusedIntoCol is ConvFusedInto unrolling the col matrix into col
// (contents undefined, at least ConvScratchFloats(g) long) rather than
// into the scratch buffer the kernels share; nil takes the shared one. A
// caller that plans its memory (core/exec's arena) serves col from room
// that is free during this one convolution, where the shared buffer is
// held, at its largest, between and after runs.
func ConvFusedIntoCol(y, x, w, b *tensor.Tensor, g *ConvGeometry, e Epilogue, col []float32) error {
	return convFused(y, x, w, b, g, e, col, nil)
}

// convFused is ConvFusedIntoCol, multiplying in integers through ic when
// ic is not nil and fits g (conv_integer.go).
func convFused(y, x, w, b *tensor.Tensor, g *ConvGeometry, e Epilogue, col []float32, ic *IntegerConv) error {
	if !ic.fits(g) {
		w = ic.floatWeight(w)
		ic = nil
	}
	// A w without data (IntegerConv.Float) is checked by its shape.
	wData := w
	if w.F32 == nil && ic != nil {
		wData = nil
	}
	if err := checkConvOperands("Conv", y, x, wData, b, g.Batch, g.OutChannels, g.Out); err != nil {
		return err
	}
	if err := e.check(y); err != nil {
		return err
	}
	cg, mg := g.InChannels/g.Group, g.OutChannels/g.Group
	inSize, outSize, kSize := g.InSize(), g.OutSize(), g.KernelSize()
	if x.Len() != g.Batch*g.InChannels*inSize || w.Len() != g.OutChannels*cg*kSize {
		return fmt.Errorf("Conv: X %v or W %v does not match the resolved geometry", x.Shape, w.Shape)
	}
	if cg == 1 && len(g.In) <= 2 && g.Group > 1 {
		if !initOutput(y.F32, b, e.Residual, g.Batch, g.OutChannels, outSize) {
			clear(y.F32) // a recycled buffer holds stale values
		}
		convDepthwise(y.F32, x.F32, w.F32, g, &e)
		return nil
	}
	beta := float32(0)
	if initOutput(y.F32, b, e.Residual, g.Batch, g.OutChannels, outSize) {
		beta = 1
	}
	// Stride-1 "same" 3x3 convolutions by Winograd F(2x2, 3x3) where the
	// caller accepts its rounding and the platform has fast transforms.
	if tf := winogradFast; g.Winograd && tf != nil && winogradFits(g, tf) {
		convWinograd(y.F32, x.F32, w.F32, g, beta, &e, tf)
		return nil
	}
	pointwise := kSize == 1 && allEqual(g.Strides, 1) && allZero(g.PadBegin) && allZero(g.PadEnd)
	// Other kernels multiply by the image's col matrix: generated panel
	// by panel inside the GEMM (ColPanels) where the platform's kernel
	// gathers those panels fast, unrolled in full by Im2Col otherwise.
	// Where the GEMM reads a stride-1 col matrix in place, it multiplies a
	// framed copy of the image instead (im2col_frame.go; float only: the
	// integer kernel packs its own panels).
	var panels *ColPanels
	var h *[]float32
	framed := false
	if !pointwise {
		panels = colPanelsPool.Get().(*ColPanels)
		ready := false
		if t, ok := colRowsFor(g, cg); ok {
			ready = panels.resetShared(cg, &g.Window, t)
		} else {
			ready = panels.Reset(cg, &g.Window)
		}
		framed = ready && ic == nil && panels.framesInPlace()
		if framed || ready && panels.gathersFast() {
			defer colPanelsPool.Put(panels)
			if framed {
				if n := panels.frameFloats(); len(col) >= n {
					col = col[:n]
				} else {
					h, col = getScratch(n)
					defer putScratch(h)
				}
			}
		} else {
			colPanelsPool.Put(panels)
			panels = nil
			if n := colBlockScratch(g); len(col) >= n {
				col = col[:n]
			} else {
				h, col = getScratch(n)
				defer putScratch(h)
			}
		}
	}
	for n := 0; n < g.Batch; n++ {
		for gr := 0; gr < g.Group; gr++ {
			img := x.F32[(n*g.InChannels+gr*cg)*inSize : (n*g.InChannels+(gr+1)*cg)*inSize]
			yg := y.F32[(n*g.OutChannels+gr*mg)*outSize : (n*g.OutChannels+(gr+1)*mg)*outSize]
			if ic != nil {
				if ic.multiply(yg, img, pointwise, panels, col, cg, &g.Window, beta) {
					e.clampInPlace(yg)
					continue
				}
				// A NaN in the image: this image's output again, in float
				// (with the float weight, made now if the caller keeps
				// none).
				beta = restartImage(yg, b, e.Residual, n, g.OutChannels, outSize)
				if w = ic.floatWeight(w); len(w.F32) != w.Len() {
					return fmt.Errorf("Conv: the float form of the integer weights is missing (a bug in Pare)")
				}
			}
			wg := w.F32[gr*mg*cg*kSize : (gr+1)*mg*cg*kSize]
			switch {
			case pointwise: // a 1x1 stride-1 unpadded kernel reads the image as is
				gemm.Sgemm(false, false, mg, outSize, cg, 1, wg, cg, img, outSize, beta, yg, outSize)
			case framed:
				gemm.SgemmShifted(false, mg, outSize, cg*kSize, 1, wg, cg*kSize, panels.shifted(img, col), beta, yg, outSize)
			case panels != nil:
				panels.SetImage(img)
				gemm.SgemmPanels(false, mg, outSize, cg*kSize, 1, wg, cg*kSize, panels, beta, yg, outSize)
			default:
				convByColBlocks(yg, img, wg, col, mg, cg, &g.Window, beta)
			}
			e.clampInPlace(yg)
		}
	}
	return nil
}

// colBlockScratch is the length of the im2col scratch of g's blocks
// (convByColBlocks).
func colBlockScratch(g *ConvGeometry) int {
	k := g.InChannels / g.Group * g.KernelSize()
	return k * colBlockRows(k, &g.Window) * (g.OutSize() / g.Out[0])
}

// ConvScratchFloats is how long a scratch buffer ConvFusedInto takes for
// g from the one it shares with the other kernels (ReserveScratch), or the
// length of the col buffer ConvFusedIntoCol needs: 0 for
// the convolutions that unroll no col matrix (depthwise, pointwise,
// Winograd's, which takes its own, and those whose col panels the
// platform's GEMM gathers itself), the framed image's length for those it
// multiplies framed. It follows ConvFusedInto's choices.
func ConvScratchFloats(g *ConvGeometry) int {
	cg := g.InChannels / g.Group
	switch {
	case cg == 1 && len(g.In) <= 2 && g.Group > 1,
		g.Winograd && winogradFast != nil && winogradFits(g, winogradFast),
		g.KernelSize() == 1 && allEqual(g.Strides, 1) && allZero(g.PadBegin) && allZero(g.PadEnd):
		return 0
	}
	var panels ColPanels
	ready := false
	if t, ok := colRowsFor(g, cg); ok {
		ready = panels.resetShared(cg, &g.Window, t)
	} else {
		ready = panels.Reset(cg, &g.Window)
	}
	// An integer convolution (which ConvFusedInto does not frame) needs
	// what the float one would without the frame: none where the panels
	// are gathered, col blocks otherwise.
	need := 0
	if !ready || !panels.gathersFast() {
		need = colBlockScratch(g)
	}
	if ready && panels.framesInPlace() {
		need = max(need, panels.frameFloats())
	}
	return need
}

// colBlockFloats bounds the im2col scratch of a convolution: the col
// matrix is unrolled and multiplied in blocks of output rows of about this
// many floats (1 MiB) instead of whole. Unrolled whole, DenseNet-121's
// 3x3 convs at 56x56 need 14.4 MB and ResNet-18's stem 7.4 MB, more than
// all the activations alive at once. A block keeps at least
// colBlockMinCols columns: both GEMM kernels pack B in column blocks of
// 256 (wasm) to 1024 (AVX2), so narrower blocks of B add calls, not work.
const (
	colBlockFloats  = 1 << 18
	colBlockMinCols = 256
)

// colBlockRows is the number of outputs in the first spatial dimension of
// w that one block of a col matrix with k rows holds. Where it can, a
// block is a whole number of 16 columns, the AVX2 kernel's tile width
// (twice the wasm kernel's): a block ending in part of a tile costs a
// tile computed aside and copied out, in every block.
func colBlockRows(k int, w *Window) int {
	rowLen := w.OutSize() / w.Out[0]
	cols := max(colBlockFloats/max(k, 1), colBlockMinCols)
	rows := max(cols/rowLen, 1)
	if rows >= w.Out[0] {
		return w.Out[0]
	}
	if whole := colTile / gcd(rowLen, colTile); rows >= whole {
		rows -= rows % whole
	}
	return rows
}

// colTile is the column count a block of the col matrix is rounded to.
const colTile = 16

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// convByColBlocks computes yg = wg * col(img) + beta*yg one block of output
// rows at a time (eachColBlock).
func convByColBlocks(yg, img, wg, col []float32, mg, cg int, w *Window, beta float32) {
	k, outSize := cg*w.KernelSize(), w.OutSize()
	eachColBlock(img, col, cg, w, func(block []float32, cols, off int) bool {
		gemm.Sgemm(false, false, mg, cols, k, 1, wg, k, block, cols, beta, yg[off:], outSize)
		return true
	})
}

// eachColBlock unrolls img's col matrix into col one block of output rows
// at a time (scratch sized by colBlockRows) and hands each block (cols
// columns, the outputs from off on in each row of the result) to mul,
// stopping at the first that returns false.
func eachColBlock(img, col []float32, cg int, w *Window, mul func(block []float32, cols, off int) bool) bool {
	k := cg * w.KernelSize()
	rowLen := w.OutSize() / w.Out[0]
	step := colBlockRows(k, w)
	for lo := 0; lo < w.Out[0]; lo += step {
		hi := min(lo+step, w.Out[0])
		cols := (hi - lo) * rowLen
		if lo == 0 && hi == w.Out[0] {
			Im2Col(col, img, cg, w)
		} else {
			Im2ColRows(col, img, cg, w, lo, hi)
		}
		if !mul(col, cols, lo*rowLen) {
			return false
		}
	}
	return true
}

// checkConvOperands verifies dtypes and that every slice matches its shape.
func checkConvOperands(op string, y, x, w, b *tensor.Tensor, batch, outChannels int, spatial []int) error {
	for _, t := range []*tensor.Tensor{y, x, w, b} {
		if t != nil && (t.DType != tensor.Float32 || len(t.F32) != t.Len()) {
			return fmt.Errorf("%s: operands must be float32 tensors with data matching their shape (got %v %v)", op, t.DType, t.Shape)
		}
	}
	if len(y.Shape) != 2+len(spatial) || y.Shape[0] != batch || y.Shape[1] != outChannels || !slices.Equal(y.Shape[2:], spatial) {
		return fmt.Errorf("%s: output has shape %v, want %v", op, y.Shape, append([]int{batch, outChannels}, spatial...))
	}
	if b != nil && (len(b.Shape) != 1 || b.Shape[0] != outChannels) {
		return fmt.Errorf("%s: bias B %v must be 1-D of length %d", op, b.Shape, outChannels)
	}
	return nil
}

func allEqual(v []int, x int) bool {
	for _, e := range v {
		if e != x {
			return false
		}
	}
	return true
}

func allZero(v []int) bool { return allEqual(v, 0) }
