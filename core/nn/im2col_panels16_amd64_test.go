//go:build amd64 && !purego

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPanels16AVX2MatchesGo: the assembly gather takes ResNet's 32- and
// 16-wide "same" windows (and the other whole-panel rows of
// colPanelsCases) and writes what panels16Shifted, checked against Im2Col
// by TestPanels16ShiftedMatchesIm2Col, writes, bit for bit, for every
// aligned block including single rows at the ends of the table (the last
// image row lies at the end of the image slice, so a read past a masked
// lane would leave it).
func TestPanels16AVX2MatchesGo(t *testing.T) {
	if !simdKernels {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	accepted := map[string]bool{}
	for _, tc := range colPanelsCases {
		g, img, rows, cols := colPanelsImage(t, rng, tc)
		s, _ := NewColPanels(tc.channels, &g.Window)
		s.SetImage(img)
		for _, blk := range [][4]int{{0, rows, 0, cols}, {1, rows - 1, 16, cols - 16}, {rows - 1, 1, cols - 16, 16}, {0, 1, 0, 16}, {0, rows, 0, cols - 5}} {
			p0, kb, j0, nb := blk[0], blk[1], blk[2], blk[3]
			if kb < 1 || nb < 1 || j0 < 0 || j0+nb > cols {
				continue
			}
			size := (nb + 15) / 16 * 16 * kb
			got, want := make([]float32, size+1), make([]float32, size)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			if !s.panels16AVX2(got[:size], p0, kb, j0, nb) {
				if nb%16 == 0 && s.gathersAVX2() {
					t.Fatalf("%s: refused the aligned block %v", tc.name, blk)
				}
				continue
			}
			accepted[tc.name] = true
			if !s.panels16Shifted(want, p0, kb, j0, nb) {
				t.Fatalf("%s: the Go gather refused block %v the assembly took", tc.name, blk)
			}
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
	for _, name := range []string{"3x3_same_32x32", "3x3_same_16x16", "1d_k3_same_64"} {
		if !accepted[name] {
			t.Errorf("panels16AVX2 refused every block of %s", name)
		}
	}
	if accepted["3x3_same_8x8"] || accepted["3x3_s2_32x32"] {
		t.Error("panels16AVX2 took rows narrower than a panel or a strided window")
	}
}
