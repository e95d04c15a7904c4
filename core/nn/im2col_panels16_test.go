package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
)

// TestPanels16ShiftedMatchesIm2Col calls panels16Shifted directly (on every
// platform, whatever Panels dispatches to) on each window of
// colPanelsCases it accepts, for blocks aligned as the AVX2 GEMM asks for
// them, and compares every value bit for bit with Im2Col's matrix packed
// by gemm.MatrixPanels. It must accept ResNet's three "same" shapes, and
// refuse unaligned blocks and strided windows without writing.
func TestPanels16ShiftedMatchesIm2Col(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	accepted := map[string]bool{}
	for _, tc := range colPanelsCases {
		g, img, rows, cols := colPanelsImage(t, rng, tc)
		col := make([]float32, rows*cols)
		Im2Col(col, img, tc.channels, &g.Window)
		ref := &gemm.MatrixPanels{B: col, LDB: cols}
		s, ok := NewColPanels(tc.channels, &g.Window)
		if !ok {
			t.Fatalf("%s: NewColPanels refused a 2-D window", tc.name)
		}
		s.SetImage(img)
		for _, blk := range [][4]int{{0, rows, 0, cols}, {1, rows - 1, 16, cols - 16}, {0, rows, 0, cols - 5}, {rows - 1, 1, cols - 16, 16}, {2, 1, 16, min(16, cols-16)}, {0, rows, 0, 16}} {
			p0, kb, j0, nb := blk[0], blk[1], blk[2], blk[3]
			if kb < 1 || nb < 1 || j0 < 0 || j0+nb > cols || p0+kb > rows {
				continue
			}
			size := (nb + 15) / 16 * 16 * kb
			got, want := make([]float32, size+1), make([]float32, size)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			if !s.panels16Shifted(got[:size], p0, kb, j0, nb) {
				for i := range got {
					if !math.IsNaN(float64(got[i])) {
						t.Fatalf("%s: refused block %v but wrote value %d", tc.name, blk, i)
					}
				}
				continue
			}
			accepted[tc.name] = true
			ref.Panels(want, p0, kb, j0, nb, 16)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s block %v: value %d = %v, want %v", tc.name, blk, i, got[i], want[i])
				}
			}
			if !math.IsNaN(float64(got[size])) {
				t.Fatalf("%s block %v: wrote past the panels", tc.name, blk)
			}
		}
	}
	for _, name := range []string{"3x3_same_32x32", "3x3_same_16x16", "3x3_same_8x8", "3x3_same_4x4", "1d_k3_same_64", "5x5_same_2x2"} {
		if !accepted[name] {
			t.Errorf("panels16Shifted refused every block of %s", name)
		}
	}
	for _, name := range []string{"3x3_s2_32x32", "5x5_same_28x28", "3x3_valid_10x9"} {
		if accepted[name] {
			t.Errorf("panels16Shifted accepted %s, a window it does not cover", name)
		}
	}
	t.Logf("accepted: %v", accepted)
}
