package nn

import "github.com/pare-ml/pare/core/gemm"

// Winograd F(2x2, 3x3) convolution (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016) for the stride-1, "same" 3x3
// convolutions that are most of a ResNet's work: each 2x2 block of outputs
// (a tile) is computed from the 4x4 block of inputs around it as
//
//	Y = A^T [ (G g G^T) .* (B^T d B) ] A
//
// so that, summed over input channels, the 16 element-wise products of a
// tile are 16 matrix products U[xi] (Cout x Cin) * V[xi] (Cin x tiles): 16
// multiplies per 4 outputs and channel pair where im2col's GEMM does 36,
// 2.25x fewer. The transforms of the inputs (V = B^T d B) and of the
// products (Y = A^T M A) are additions only and stream 4x the image, 2.25x
// less than the 9x im2col matrix they replace.
//
// The results differ from the direct sum in rounding: the weight transform
// halves sums of three weights, the input transform adds and subtracts
// inputs before the multiply, and the output transform sums products of
// different magnitude. The error against the reference is a few float32
// ulps of sum |w||x|: TestWinogradMatchesDefinition bounds it at 1e-5 of
// that sum and measures at most 2.1e-7; im2col's GEMM measured 1.8e-7 on
// TestConvTakesWinogradOnlyWhenAsked's case, Winograd 1.1e-7.
//
// The transforms of the fast path are in assembly (winograd_amd64.s, eight
// tiles at a time); winogradInputGo and winogradOutputGo are the same
// operations in the same order, the reference the assembly is checked
// against bit for bit, and what the tests run the algorithm with on every
// platform. Where there is no assembly (wasm, purego, other CPUs) Conv
// never takes this path: in Go, the transforms cost more than the
// multiplies they save.

// winogradTile is the output tile's side (F(2x2, 3x3)); winogradPoints
// (the input tile's area) is the number of matrix products per block.
const (
	winogradTile   = 2
	winogradPoints = 16
)

// winogradMinChannels is the fewest input and output channels the fast
// path takes: with K = Cin the GEMMs' depth, a stem convolution of three
// input channels would spend its time in the transforms and the GEMM's
// per-tile overhead.
const winogradMinChannels = 8

// winogradBlockFloats bounds V, the transformed inputs of one block of
// images (16 x Cin x tiles), to 256 KiB, so that V and the 16 products
// computed from it stay in this core's L2 between the transform, the GEMM
// and the output transform.
const winogradBlockFloats = 1 << 16

// winogradTransforms are the input and output transforms of one platform.
// input writes the 16 transformed values of each tile of one padded
// channel plane (rows of wp floats, the image framed by a zero border of
// one) to v[xi*vStride + tile], tiles in row-major order, tH rows of tW;
// output writes the 2x2 outputs of each tile from m[xi*mStride + tile]
// into the plane y (rows of 2*tW floats), adding to what y holds when
// accumulate is set.
type winogradTransforms struct {
	input func(v []float32, vStride int, pad []float32, wp, tH, tW int)
	// frame copies the h x w plane src into the interior of pad (rows of
	// wp floats, from row 1 and column 1), leaving its border as it is.
	frame  func(pad []float32, wp int, src []float32, h, w int)
	output func(y []float32, m []float32, mStride int, tH, tW int, accumulate bool)
	// tileMultiple is the number of tiles of a row the transforms take at
	// once: tW must be a multiple of it.
	tileMultiple int
}

// winogradFast is the transforms Conv uses, nil where it keeps im2col for
// every shape; winogradPlatform is the platform's fast transforms, nil
// where there are none (set by winograd_amd64.go).
var winogradFast, winogradPlatform *winogradTransforms

// winogradGo is the reference implementation of the transforms.
var winogradGo = winogradTransforms{input: winogradInputGo, frame: winogradFrameGo, output: winogradOutputGo, tileMultiple: 1}

// winogradFrameGo is the frame copy in Go, a row at a time.
func winogradFrameGo(pad []float32, wp int, src []float32, h, w int) {
	for r := 0; r < h; r++ {
		copy(pad[(r+1)*wp+1:][:w], src[r*w:(r+1)*w])
	}
}

// winogradFits reports whether ConvFusedInto may compute g (when
// g.Winograd is set) by Winograd
// with transforms tf: one group of at least winogradMinChannels in and
// out, a 2-D 3x3 kernel with unit strides and dilations, padding 1 on
// every side (so the output is the input's size), even height, and rows
// a whole number of tf's tiles.
func winogradFits(g *ConvGeometry, tf *winogradTransforms) bool {
	if len(g.In) != 2 || g.Group != 1 || g.InChannels < winogradMinChannels || g.OutChannels < winogradMinChannels {
		return false
	}
	for d := 0; d < 2; d++ {
		if g.Kernel[d] != 3 || g.Strides[d] != 1 || g.Dilations[d] != 1 || g.PadBegin[d] != 1 || g.PadEnd[d] != 1 || g.Out[d] != g.In[d] {
			return false
		}
	}
	h, w := g.In[0], g.In[1]
	return h%winogradTile == 0 && w%winogradTile == 0 && (w/winogradTile)%tf.tileMultiple == 0
}

// convWinograd computes y = conv(x, w) + beta*y (beta 0 or 1) for a
// geometry winogradFits accepts, a block of images at a time: transform
// the block's inputs into V, multiply V by the transformed weights U in 16
// GEMMs into M, transform M into y. e's clamp is applied to each block
// while it is in cache.
func convWinograd(y, x, w []float32, g *ConvGeometry, beta float32, e *Epilogue, tf *winogradTransforms) {
	cin, cout := g.InChannels, g.OutChannels
	h, wd := g.In[0], g.In[1]
	tH, tW := h/winogradTile, wd/winogradTile
	plane, tiles := h*wd, tH*tW
	wp := wd + 2
	images := max(1, min(g.Batch, winogradBlockFloats/(winogradPoints*max(cin, cout)*tiles)))
	t := images * tiles // columns of V and M, the tiles of a block

	uLen, padLen := winogradPoints*cout*cin, (h+2)*wp
	vLen, mLen := winogradPoints*cin*t, winogradPoints*cout*t
	hs, buf := getScratch(uLen + padLen + vLen + mLen)
	defer putScratch(hs)
	u, pad := buf[:uLen], buf[uLen:uLen+padLen]
	v, m := buf[uLen+padLen:uLen+padLen+vLen], buf[uLen+padLen+vLen:]
	winogradWeights(u, w, cout, cin)
	clear(pad) // the border stays zero: only the interior is copied in

	for n0 := 0; n0 < g.Batch; n0 += images {
		nb := min(images, g.Batch-n0)
		cols := nb * tiles
		for i := 0; i < nb; i++ {
			for c := 0; c < cin; c++ {
				tf.frame(pad, wp, x[((n0+i)*cin+c)*plane:][:plane], h, wd)
				tf.input(v[c*t+i*tiles:], cin*t, pad, wp, tH, tW)
			}
		}
		for xi := 0; xi < winogradPoints; xi++ {
			gemm.Sgemm(false, false, cout, cols, cin, 1, u[xi*cout*cin:], cin, v[xi*cin*t:], t, 0, m[xi*cout*t:], t)
		}
		for i := 0; i < nb; i++ {
			for co := 0; co < cout; co++ {
				tf.output(y[((n0+i)*cout+co)*plane:][:plane], m[co*t+i*tiles:], cout*t, tH, tW, beta != 0)
			}
		}
		e.clampInPlace(y[n0*cout*plane : (n0+nb)*cout*plane])
	}
}

// winogradWeights writes U[xi][co][ci] = (G g G^T)[xi] for each 3x3 kernel
// g = w[co][ci], with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
func winogradWeights(u, w []float32, cout, cin int) {
	for co := 0; co < cout; co++ {
		for ci := 0; ci < cin; ci++ {
			k := w[(co*cin+ci)*9:][:9]
			// gg = G g (4 x 3), then (G g) G^T (4 x 4).
			var gg [4][3]float32
			for j := 0; j < 3; j++ {
				g0, g1, g2 := k[j], k[3+j], k[6+j]
				gg[0][j] = g0
				gg[1][j] = (g0 + g1 + g2) * 0.5
				gg[2][j] = (g0 - g1 + g2) * 0.5
				gg[3][j] = g2
			}
			for i := 0; i < 4; i++ {
				a0, a1, a2 := gg[i][0], gg[i][1], gg[i][2]
				row := [4]float32{a0, (a0 + a1 + a2) * 0.5, (a0 - a1 + a2) * 0.5, a2}
				for j, val := range row {
					u[((i*4+j)*cout+co)*cin+ci] = val
				}
			}
		}
	}
}

// winogradSlot is where tile tt of a row of tW tiles sits in that row's
// columns of V and M. The assembly transforms eight tiles at once, and its
// de-interleaving shuffles (and the interleaving of the outputs) work
// within 128-bit halves: they leave tiles 0, 1, 4, 5, 2, 3, 6, 7 of each
// eight in lanes 0-7. Keeping that order in V and M instead of sorting it
// saves a permute per vector in both transforms; the GEMM treats every
// column alike, so only the two transforms need to agree on it.
func winogradSlot(tt, tW int) int {
	if tW%8 != 0 {
		return tt
	}
	return tt&^7 | int(winogradLanes[tt&7])
}

// winogradLanes maps a tile within its eight to its lane and back (the
// permutation is its own inverse).
var winogradLanes = [8]uint8{0, 1, 4, 5, 2, 3, 6, 7}

// winogradInputGo is the input transform V = B^T d B, with
// B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], for each tile of a
// padded plane: first along each of the tile's four rows, then down its
// columns, in the order the assembly computes it.
func winogradInputGo(v []float32, vStride int, pad []float32, wp, tH, tW int) {
	for s := 0; s < tH; s++ {
		for tt := 0; tt < tW; tt++ {
			var hr [4][4]float32
			for r := 0; r < 4; r++ {
				d := pad[(2*s+r)*wp+2*tt:][:4]
				hr[r] = [4]float32{d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]}
			}
			tile := s*tW + winogradSlot(tt, tW)
			for j := 0; j < 4; j++ {
				v[(0+j)*vStride+tile] = hr[0][j] - hr[2][j]
				v[(4+j)*vStride+tile] = hr[1][j] + hr[2][j]
				v[(8+j)*vStride+tile] = hr[2][j] - hr[1][j]
				v[(12+j)*vStride+tile] = hr[1][j] - hr[3][j]
			}
		}
	}
}

// winogradOutputGo is the output transform Y = A^T M A, with
// A^T = [1 1 1 0; 0 1 -1 -1], for each tile: first along the rows of M,
// then down its columns, in the order the assembly computes it.
func winogradOutputGo(y []float32, m []float32, mStride int, tH, tW int, accumulate bool) {
	wd := 2 * tW
	for s := 0; s < tH; s++ {
		for tt := 0; tt < tW; tt++ {
			tile := s*tW + winogradSlot(tt, tW)
			var b0, b1 [4]float32
			for i := 0; i < 4; i++ {
				m0, m1, m2, m3 := m[(4*i)*mStride+tile], m[(4*i+1)*mStride+tile], m[(4*i+2)*mStride+tile], m[(4*i+3)*mStride+tile]
				b0[i] = m0 + m1 + m2
				b1[i] = m1 - m2 - m3
			}
			out := [2][2]float32{
				{b0[0] + b0[1] + b0[2], b1[0] + b1[1] + b1[2]},
				{b0[1] - b0[2] - b0[3], b1[1] - b1[2] - b1[3]},
			}
			for a := 0; a < 2; a++ {
				row := y[(2*s+a)*wd+2*tt:][:2]
				if accumulate {
					row[0] += out[a][0]
					row[1] += out[a][1]
				} else {
					row[0], row[1] = out[a][0], out[a][1]
				}
			}
		}
	}
}

// SetWinograd turns the Winograd path of Conv off (false) or back on where
// the platform has it, and reports whether it was on: for comparisons of
// the two paths in one process (the training tests, benchmarks). It is
// not safe to call while a convolution runs.
func SetWinograd(on bool) (was bool) {
	was = winogradFast != nil
	winogradFast = nil
	if on {
		winogradFast = winogradPlatform
	}
	return was
}
