package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/nn"
)

// TestWeightGradByColBlocksMatchesWholeGEMM: the weight gradient computed
// block by block (weightGradByColBlocks) equals the one GEMM over the
// whole im2col matrix, bit for bit, for ResNet-20's shapes (the 32x32
// stage is split into blocks natively), a stride-2 conv, rows that do not
// divide the depth block (28x28, kept whole) and one output channel.
func TestWeightGradByColBlocksMatchesWholeGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, tc := range []struct {
		name        string
		c, m, hw, k int
		stride, pad int
	}{
		{"3x3_16c_32x32", 16, 16, 32, 3, 1, 1},
		{"3x3_32c_16x16", 32, 32, 16, 3, 1, 1},
		{"3x3_s2_16c_32x32", 16, 32, 32, 3, 2, 1},
		{"5x5_3c_28x28", 3, 8, 28, 5, 1, 2},
		{"3x3_1m_32x32", 4, 1, 32, 3, 1, 1},
	} {
		wc := newWeightGradCase(t, rng, tc.c, tc.m, tc.hw, tc.k, tc.stride, tc.pad)
		win, x, dy, dw0, col, want := wc.win, wc.x, wc.dy, wc.dw0, wc.col, wc.want
		got := append([]float32(nil), dw0...)
		weightGradByColBlocks(got, dy, x, col, tc.m, tc.c, win)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: dW[%d] = %v by blocks, %v by one GEMM", tc.name, i, got[i], want[i])
			}
		}
	}
}

// weightGradCase is one Conv's weight-gradient problem with random x, dY
// and a starting dW, and the reference: dW0 + dY * Im2Col(x)^T by one
// GEMM over the whole col matrix (col holds Im2Col(x) afterwards).
type weightGradCase struct {
	win                   *nn.Window
	x, dy, dw0, col, want []float32
	ck                    int
}

func newWeightGradCase(t *testing.T, rng *rand.Rand, c, m, hw, k, stride, pad int) weightGradCase {
	t.Helper()
	g, err := nn.ResolveConv([]int{1, c, hw, hw}, []int{m, c, k, k},
		nn.ConvParams{Strides: []int{stride, stride}, Pads: []int{pad, pad, pad, pad}})
	if err != nil {
		t.Fatal(err)
	}
	win := &g.Window
	ck, outSize := c*win.KernelSize(), win.OutSize()
	wc := weightGradCase{win: win, ck: ck,
		x: make([]float32, c*win.InSize()), dy: make([]float32, m*outSize), dw0: make([]float32, m*ck), col: make([]float32, ck*outSize)}
	for _, s := range [][]float32{wc.x, wc.dy, wc.dw0} {
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
	}
	wc.want = append([]float32(nil), wc.dw0...)
	nn.Im2Col(wc.col, wc.x, c, win)
	gemm.Sgemm(false, true, m, ck, outSize, 1, wc.dy, outSize, wc.col, outSize, 1, wc.want, ck)
	return wc
}

// TestWeightGradFramedMatchesWholeGEMM: the weight gradient computed
// transposed with col packed from the framed image (weightGradFrames:
// nn.FramedCol, gemm.SgemmShiftedA) equals the one GEMM over the whole
// im2col matrix, bit for bit: ResNet-20's three stages, 5x5 on rows that
// split the depth block, an unpadded window (the image is its own frame).
func TestWeightGradFramedMatchesWholeGEMM(t *testing.T) {
	if !gemm.ShiftsAInPlace() {
		t.Skip("no kernel for a Shifted A on this platform: the weight gradient unrolls col")
	}
	rng := rand.New(rand.NewPCG(63, 64))
	for _, tc := range []struct {
		name        string
		c, m, hw, k int
		pad         int
	}{
		{"3x3_16c_32x32", 16, 16, 32, 3, 1},
		{"3x3_32c_16x16", 32, 32, 16, 3, 1},
		{"3x3_64c_8x8", 64, 64, 8, 3, 1},
		{"5x5_3c_28x28", 3, 8, 28, 5, 2},
		{"3x3_valid_5c_10x10", 5, 7, 10, 3, 0},
	} {
		wc := newWeightGradCase(t, rng, tc.c, tc.m, tc.hw, tc.k, 1, tc.pad)
		if !weightGradFrames(tc.m, wc.ck) {
			t.Fatalf("%s: weightGradFrames refused", tc.name)
		}
		f, ok := nn.NewFramedCol(&nn.ConvGeometry{Window: *wc.win}, tc.c)
		if !ok {
			t.Fatalf("%s: NewFramedCol refused a stride-1 window", tc.name)
		}
		frame := make([]float32, f.FrameFloats())
		dwt := make([]float32, len(wc.dw0))
		gemm.Transpose(dwt, wc.dw0, tc.m, wc.ck)
		outSize := wc.win.OutSize()
		gemm.SgemmShiftedA(wc.ck, tc.m, outSize, 1, f.Of(wc.x, frame), true, wc.dy, outSize, 1, dwt, tc.m)
		got := make([]float32, len(dwt))
		gemm.Transpose(got, dwt, wc.ck, tc.m)
		for i := range wc.want {
			if math.Float32bits(got[i]) != math.Float32bits(wc.want[i]) {
				t.Fatalf("%s: dW[%d] = %v from the frame, %v by one GEMM", tc.name, i, got[i], wc.want[i])
			}
		}
	}
}
