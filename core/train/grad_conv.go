package train

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Conv backward, per image and group, with the forward's own window
// helpers and GEMM:
//
//	dW_g += dY_g * Im2Col(X_g)^T      (M/G x C/G*K)
//	dX_g  = Col2Im(W_g^T * dY_g)
//	dB   += sum of dY over batch and positions
//
// A 1x1 kernel with unit strides and no padding skips Im2Col (the image is
// its own column matrix). With unit strides dX is itself a convolution of
// dY with the flipped, transposed kernel (transposedAsConv): the forward
// kernel's gather then replaces Col2Im's scatter-add, which in wasm costs
// more than the GEMM.

func init() {
	registerGrad("Conv", convGrad, 0, 1, 2)
	customForward[opKey{"", "Conv"}] = convForward
}

// convForward is exec's Conv kernel with two training-loop savings: the
// output comes from the net's buffer pool, and a ReLU fused after the
// Conv (Net.fusedRelu) runs in the kernel's epilogue.
func convForward(net *Net, nd *onnx.Node, in []*tensor.Tensor, _ Mode) ([]*tensor.Tensor, any, error) {
	if len(in) < 2 || in[0] == nil || in[1] == nil {
		return nil, nil, fmt.Errorf("Conv needs inputs X and W")
	}
	for i, t := range in[:min(len(in), 3)] {
		if t != nil && t.DType != tensor.Float32 {
			return nil, nil, fmt.Errorf("Conv input %d is %v; training supports float32", i, t.DType)
		}
	}
	g, err := nn.ResolveConv(in[0].Shape, in[1].Shape, nn.ConvParamsOf(nd))
	if err != nil {
		return nil, nil, err
	}
	g.Winograd = true // training accepts Winograd's rounding (nn.ConvGeometry)
	var e nn.Epilogue
	if net.fusedRelu[nd] != nil {
		e = nn.ReluEpilogue()
	}
	y := net.pool.get(phaseForward, g.OutShape(), false) // ConvFusedInto initialises every element
	if err := nn.ConvFusedInto(y, in[0], in[1], inputAt(in, 2), g, e); err != nil {
		return nil, nil, err
	}
	return []*tensor.Tensor{y}, nil, nil
}

// identityWindow reports whether Im2Col would copy the image unchanged.
func identityWindow(w *nn.Window) bool {
	for d := range w.Kernel {
		if w.Kernel[d] != 1 || w.Strides[d] != 1 || w.PadBegin[d] != 0 || w.PadEnd[d] != 0 || w.In[d] != w.Out[d] {
			return false
		}
	}
	return true
}

func convGrad(c *gradContext) ([]*tensor.Tensor, error) {
	x, w, dy := c.in[0], c.in[1], c.dOut[0]
	if err := requireF32(x, "X"); err != nil {
		return nil, err
	}
	if err := requireF32(w, "W"); err != nil {
		return nil, err
	}
	g, err := nn.ResolveConv(x.Shape, w.Shape, nn.ConvParamsOf(c.node))
	if err != nil {
		return nil, err
	}
	if !slices.Equal(dy.Shape, g.OutShape()) {
		return nil, fmt.Errorf("output gradient shape %v, want %v", dy.Shape, g.OutShape())
	}
	win := &g.Window
	groups := g.Group
	cg, mg := g.InChannels/groups, g.OutChannels/groups
	inSize, outSize, kSize := win.InSize(), win.OutSize(), win.KernelSize()
	ck := cg * kSize
	needX, needW := c.need[0], len(c.need) > 1 && c.need[1]
	needB := len(c.need) > 2 && c.need[2] && c.in[2] != nil

	grads := make([]*tensor.Tensor, len(c.in))
	var dx, dw *tensor.Tensor
	if needX {
		dx = c.net.pool.get(phaseBackward, x.Shape, true) // Col2Im accumulates
		grads[0] = dx
	}
	if needW {
		dw = c.net.pool.get(phaseBackward, w.Shape, true) // the GEMMs accumulate
		grads[1] = dw
	}
	direct := identityWindow(win)
	viaConv := false
	if needX && !direct {
		ok, err := transposedAsConv(dx, dy, w, g)
		if err != nil {
			return nil, err
		}
		viaConv = ok
	}
	// The column matrices come from the pool too: a fresh one per Conv
	// per step was most of a step's garbage.
	var col, dcol, dwt []float32
	// Where the platform packs a stride-1 col matrix straight from a
	// framed image, the weight gradient is computed transposed from the
	// frame and col is never unrolled.
	var framed *nn.FramedCol
	if needW && !direct && weightGradFrames(mg, ck) {
		framed, _ = nn.NewFramedCol(g, cg)
	}
	if needW && !direct {
		if framed != nil {
			col = c.net.pool.get(phaseBackward, []int{framed.FrameFloats()}, false).F32 // Of writes every element
		} else {
			col = c.net.pool.get(phaseBackward, []int{ck * outSize}, false).F32 // Im2Col writes every element
		}
		if framed != nil || weightGradTransposes(mg, ck) {
			dwt = c.net.pool.get(phaseBackward, []int{groups * ck * mg}, true).F32 // the GEMMs accumulate, as into dw
		}
	}
	if needX && !viaConv {
		dcol = c.net.pool.get(phaseBackward, []int{ck * outSize}, false).F32 // the GEMM (beta 0) writes every element
	}
	// dX's GEMMs multiply by W_g^T. Where Sgemm given transA transposes A
	// in a pass of its own (wasm), it would do so again for every image;
	// transposed here once per step, the kernel multiplies the same values
	// in the same order (so the same bits), except that one row of op(A)
	// would take the GEMV kernel instead: not then.
	var wt []float32
	if needX && !viaConv && ck > 1 && gemm.TransposesAApart() {
		wt = c.net.pool.get(phaseBackward, []int{groups * ck * mg}, false).F32 // every element written
		for gi := 0; gi < groups; gi++ {
			gemm.Transpose(wt[gi*ck*mg:(gi+1)*ck*mg], w.F32[gi*mg*ck:(gi+1)*mg*ck], mg, ck)
		}
	}
	// A depthwise convolution's weight gradient, channel by channel, is
	// thousands of tiny GEMMs a batch; where the kernel module makes those
	// calls itself (nn.DepthwiseWeightGrad: the same kernels, so the same
	// bits), one call per image.
	depthwise := needW && !direct && cg == 1 && mg == 1 && groups > 1
	for b := 0; b < g.Batch; b++ {
		imageW := depthwise && nn.DepthwiseWeightGrad(dw.F32, dy.F32[b*g.OutChannels*outSize:(b+1)*g.OutChannels*outSize],
			x.F32[b*g.InChannels*inSize:(b+1)*g.InChannels*inSize], col, groups, win)
		depthwise = imageW // the next images too, or none
		for gi := 0; gi < groups; gi++ {
			xg := x.F32[(b*g.InChannels+gi*cg)*inSize : (b*g.InChannels+(gi+1)*cg)*inSize]
			dyg := dy.F32[(b*g.OutChannels+gi*mg)*outSize : (b*g.OutChannels+(gi+1)*mg)*outSize]
			if needW && !imageW {
				dwg := dw.F32[gi*mg*ck : (gi+1)*mg*ck]
				switch {
				case direct:
					gemm.Sgemm(false, true, mg, ck, outSize, 1, dyg, outSize, xg, outSize, 1, dwg, ck)
				case framed != nil:
					gemm.SgemmShiftedA(ck, mg, outSize, 1, framed.Of(xg, col), true, dyg, outSize, 1, dwt[gi*ck*mg:(gi+1)*ck*mg], mg)
				case dwt != nil:
					weightGradTransposed(dwt[gi*ck*mg:(gi+1)*ck*mg], dyg, xg, col, mg, cg, win)
				default:
					weightGradByColBlocks(dwg, dyg, xg, col, mg, cg, win)
				}
			}
			if needX && !viaConv {
				dxg := dx.F32[(b*g.InChannels+gi*cg)*inSize : (b*g.InChannels+(gi+1)*cg)*inSize]
				out := dxg
				if !direct {
					out = dcol
				}
				if wt != nil {
					gemm.Sgemm(false, false, ck, outSize, mg, 1, wt[gi*ck*mg:(gi+1)*ck*mg], mg, dyg, outSize, 0, out, outSize)
				} else {
					gemm.Sgemm(true, false, ck, outSize, mg, 1, w.F32[gi*mg*ck:(gi+1)*mg*ck], ck, dyg, outSize, 0, out, outSize)
				}
				if !direct {
					nn.Col2Im(dxg, dcol, cg, win)
				}
			}
		}
	}
	if dwt != nil {
		for gi := 0; gi < groups; gi++ {
			gemm.Transpose(dw.F32[gi*mg*ck:(gi+1)*mg*ck], dwt[gi*ck*mg:(gi+1)*ck*mg], ck, mg)
		}
	}
	if needB {
		db := tensor.New(tensor.Float32, c.in[2].Shape)
		if db.Len() != g.OutChannels {
			return nil, fmt.Errorf("bias has %d values for %d output channels", db.Len(), g.OutChannels)
		}
		// Each channel's sum of dY, in ChannelMoments' float32 blocks
		// flushed into float64 (its vector kernels, the same bits on every
		// platform): a sequential float32 sum per plane was a latency-bound
		// pass over dY, a tenth of a MobileNetV2 step in wasm.
		moments := make([]float64, 2*g.OutChannels)
		nn.ChannelMoments(moments, dy.F32, g.Batch, g.OutChannels, outSize)
		for m := range db.F32 {
			db.F32[m] = float32(moments[2*m])
		}
		grads[2] = db
	}
	return grads, nil
}

// transposedAsConv computes dX for a unit-stride Conv as the convolution
// of dY with W flipped in space and with input and output channels
// swapped within each group, padded so that every dY position reaching an
// input position is covered: begin (K-1)*d - padBegin, end (K-1)*d -
// padEnd. It reports false (and does nothing) when the strides are not
// all 1 or a padding exceeds the kernel's reach.
func transposedAsConv(dx, dy, w *tensor.Tensor, g *nn.ConvGeometry) (bool, error) {
	win := &g.Window
	dims := len(win.Kernel)
	pads := make([]int, 2*dims)
	for d := 0; d < dims; d++ {
		reach := (win.Kernel[d] - 1) * win.Dilations[d]
		if win.Strides[d] != 1 || win.PadBegin[d] > reach || win.PadEnd[d] > reach {
			return false, nil
		}
		pads[d] = reach - win.PadBegin[d]
		pads[dims+d] = reach - win.PadEnd[d]
	}
	groups := g.Group
	cg, mg := g.InChannels/groups, g.OutChannels/groups
	k := win.KernelSize()
	// wt[g*cg+c][m][k'] = w[g*mg+m][c][K-1-k']: flipping the flattened
	// kernel index reverses every spatial axis at once.
	wt := tensor.New(tensor.Float32, append([]int{g.InChannels, mg}, win.Kernel...))
	for gi := 0; gi < groups; gi++ {
		for m := 0; m < mg; m++ {
			for c := 0; c < cg; c++ {
				src := w.F32[((gi*mg+m)*cg+c)*k : ((gi*mg+m)*cg+c+1)*k]
				dst := wt.F32[((gi*cg+c)*mg+m)*k : ((gi*cg+c)*mg+m+1)*k]
				for i, v := range src {
					dst[k-1-i] = v
				}
			}
		}
	}
	tg, err := nn.ResolveConv(dy.Shape, wt.Shape, nn.ConvParams{
		Kernel: win.Kernel, Dilations: win.Dilations, Pads: pads, Group: groups,
	})
	if err != nil {
		return false, err
	}
	if !slices.Equal(tg.OutShape(), dx.Shape) {
		return false, nil
	}
	tg.Winograd = true
	return true, nn.ConvInto(dx, dy, wt, nil, tg)
}

// weightGradByColBlocks adds dY_g * Im2Col(X_g)^T to dwg one block of
// output rows at a time: each block of the col matrix is unrolled into
// col and multiplied (as the GEMM's depth) before the next is written, so
// it is still in L2 when the GEMM packs it (whole, ResNet-20's first
// stage's col matrix is 576 KiB per image). Blocks are gemm.DepthBlock
// deep, so dW keeps the bits of one GEMM over the whole matrix; where the
// platform has no fixed depth (wasm) or a block would split an output row,
// the matrix stays whole.
func weightGradByColBlocks(dwg, dyg, xg, col []float32, mg, cg int, win *nn.Window) {
	outSize := win.OutSize()
	ck := cg * win.KernelSize()
	rowLen := outSize / win.Out[0]
	step := win.Out[0]
	if d := gemm.DepthBlock(); d > 0 && d%rowLen == 0 && mg > 1 {
		step = d / rowLen
	}
	for lo := 0; lo < win.Out[0]; lo += step {
		hi := min(lo+step, win.Out[0])
		cols := (hi - lo) * rowLen
		if lo == 0 && hi == win.Out[0] {
			nn.Im2Col(col, xg, cg, win)
		} else {
			nn.Im2ColRows(col, xg, cg, win, lo, hi)
		}
		gemm.Sgemm(false, true, mg, ck, cols, 1, dyg[lo*rowLen:], outSize, col, cols, 1, dwg, ck)
	}
}

// weightGradTransposes reports whether Conv's weight gradient is computed
// transposed (weightGradTransposed) on this platform: where Sgemm has no
// fixed depth block (wasm, and the pure-Go kernel), so that the col matrix
// stays whole either way, and not for one output channel or one col row,
// where one of the two orientations would take the GEMV kernel, whose
// order of additions differs.
func weightGradTransposes(mg, ck int) bool {
	return gemm.DepthBlock() == 0 && mg > 1 && ck > 1
}

// weightGradFrames reports whether Conv's weight gradient may be computed
// as weightGradTransposed's product with col read from a framed image
// (nn.FramedCol, gemm.SgemmShiftedA): where the platform packs such an A
// (AVX2), for the shapes weightGradTransposes takes, so the bits are
// again those of the untransposed GEMM. The col matrix, 9x the image for
// a 3x3 kernel, is then never written: unrolling it and packing it
// transposed were 11 % of a native ResNet-20 training step
// (docs/training.md).
func weightGradFrames(mg, ck int) bool {
	return gemm.ShiftsAInPlace() && mg > 1 && ck > 1
}

// weightGradTransposed adds (dY_g * Im2Col(X_g)^T)^T = Im2Col(X_g) * dY_g^T
// to dwt, dW_g transposed (ck x mg). Sgemm reads its A operand in place and
// packs B, so in this orientation the col matrix (9x the image for a 3x3
// kernel) is A, read as Im2Col wrote it, and only the small dY_g (mg rows)
// is transposed into B's panels, where dW_g += dY_g * col^T transposed all
// of col: in wasm that transpose was about 1.6 % of a ResNet-20 training
// step. Each element of the result is the same sum of the same products,
// dY[m][p]*col[r][p] for p in order, only with the factors swapped (which
// a float32 multiply ignores), in the same depth blocks (they depend on
// the depth alone), so the bits are those of the untransposed GEMM.
func weightGradTransposed(dwt, dyg, xg, col []float32, mg, cg int, win *nn.Window) {
	outSize := win.OutSize()
	ck := cg * win.KernelSize()
	nn.Im2Col(col, xg, cg, win)
	gemm.Sgemm(false, true, ck, mg, outSize, 1, col, outSize, dyg, outSize, 1, dwt, mg)
}
