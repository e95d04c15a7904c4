package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
)

// TestShiftedIsTheColMatrix: for every stride-1 window of colPanelsCases
// (padding on any side, past the kernel, dilated, 1-D, rows only), the
// Shifted over the framed image is Im2Col's matrix bit for bit, with the
// frame buffer full of NaN beforehand (every border value must be
// written); and a product with it (SgemmShifted, read in place by the
// AVX2 kernel where the output rows are whole 16-column tiles) has the
// bits of the same product through ColPanels' gathered panels.
func TestShiftedIsTheColMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	tested := 0
	for _, tc := range colPanelsCases {
		if !allEqual(tc.strides, 1) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			g, img, rows, cols := colPanelsImage(t, rng, tc)
			col := make([]float32, rows*cols)
			Im2Col(col, img, tc.channels, &g.Window)
			s, ok := NewColPanels(tc.channels, &g.Window)
			if !ok {
				t.Fatal("NewColPanels refused a 2-D window")
			}
			frame := make([]float32, s.frameFloats())
			for i := range frame {
				frame[i] = float32(math.NaN())
			}
			sh := s.shifted(img, frame)
			got := make([]float32, rows*cols)
			sh.Panels(got, 0, rows, 0, cols, cols)
			for i := range col {
				if math.Float32bits(got[i]) != math.Float32bits(col[i]) {
					t.Fatalf("col[%d][%d] = %v through the frame, Im2Col has %v", i/cols, i%cols, got[i], col[i])
				}
			}
			for _, m := range []int{1, 5, 16} {
				a := make([]float32, m*rows)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				y, want := make([]float32, m*cols), make([]float32, m*cols)
				gemm.SgemmShifted(false, m, cols, rows, 1, a, rows, sh, 0, y, cols)
				s.SetImage(img)
				gemm.SgemmPanels(false, m, cols, rows, 1, a, rows, s, 0, want, cols)
				for i := range want {
					if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
						t.Fatalf("m=%d: y[%d] = %v in place, %v through the panels", m, i, y[i], want[i])
					}
				}
			}
		})
		tested++
	}
	if tested < 10 {
		t.Fatalf("only %d stride-1 windows in colPanelsCases", tested)
	}
}

// TestFramedConvScratch: where ConvFusedInto multiplies framed, the
// scratch ConvScratchFloats asks for is the frame, and a convolution
// served from a col buffer of exactly that length equals the definition.
func TestFramedConvScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	x, w, b := randTensor(rng, 2, 5, 6, 32), randTensor(rng, 7, 5, 3, 3), randTensor(rng, 7)
	g, err := ResolveConv(x.Shape, w.Shape, ConvParams{Pads: []int{1, 1, 1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := NewColPanels(5, &g.Window)
	want := 0
	if s.framesInPlace() {
		want = 5 * 8 * 34
	} else if !s.gathersFast() {
		want = colBlockScratch(g)
	}
	if n := ConvScratchFloats(g); n != want {
		t.Fatalf("ConvScratchFloats = %d, want %d (framed %v)", n, want, s.framesInPlace())
	}
	col := make([]float32, want)
	for i := range col {
		col[i] = float32(math.NaN())
	}
	y := randTensor(rng, g.OutShape()...)
	if err := ConvFusedIntoCol(y, x, w, b, g, Epilogue{}, col); err != nil {
		t.Fatal(err)
	}
	assertClose(t, "framed conv", y.F32, naiveConv(x, w, b, g))
}

// TestFramedColSharesTheGeometrysTable: NewFramedCol of a geometry from
// ResolveConv takes the row table and frame offsets cached for
// ConvFusedInto (the weight gradient would otherwise rebuild them every
// step), and its col matrix is the one built from the bare window, bit
// for bit; a strided window is refused.
func TestFramedColSharesTheGeometrysTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	tc := colPanelsCase{name: "3x3_pad1", channels: 6, in: []int{9, 16}, kernel: []int{3, 3}, strides: []int{1, 1}, dil: []int{1, 1}, pads: []int{1, 1, 1, 1}}
	g, img, rows, cols := colPanelsImage(t, rng, tc)
	shared, ok := NewFramedCol(g, tc.channels)
	if !ok {
		t.Fatal("NewFramedCol refused a resolved stride-1 geometry")
	}
	tab, _ := colRowsFor(g, tc.channels)
	if len(shared.s.offsets) == 0 || &shared.s.offsets[0] != &tab.offsets[0] || &shared.s.rows[0] != &tab.rows[0] {
		t.Fatal("NewFramedCol rebuilt the rows and offsets the geometry caches")
	}
	own, ok := NewFramedCol(&ConvGeometry{Window: g.Window}, tc.channels)
	if !ok {
		t.Fatal("NewFramedCol refused a bare stride-1 window")
	}
	a, b := make([]float32, rows*cols), make([]float32, rows*cols)
	shared.Of(img, make([]float32, shared.FrameFloats())).Panels(a, 0, rows, 0, cols, cols)
	own.Of(img, make([]float32, own.FrameFloats())).Panels(b, 0, rows, 0, cols, cols)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("col[%d] = %v from the shared table, %v from its own", i, a[i], b[i])
		}
	}
	tc.strides = []int{2, 2}
	g, _, _, _ = colPanelsImage(t, rng, tc)
	if _, ok := NewFramedCol(g, tc.channels); ok {
		t.Fatal("NewFramedCol accepted a stride-2 window")
	}
}
