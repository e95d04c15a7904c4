package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/gemm"
)

// colPanelsCase is one window of colPanelsCases.
type colPanelsCase struct {
	name                     string
	in, kernel, strides, dil []int
	pads                     []int
	channels                 int
}

// colPanelsCases are windows of every kind ColPanels serves: unit and
// larger strides, dilations, asymmetric and oversized padding, 1-D, rows
// narrower than a panel and not a multiple of its width, 1x1 subsampling,
// and a kernel that reaches past the image in both directions.
var colPanelsCases = []colPanelsCase{
	{"3x3_same_32x32", []int{32, 32}, []int{3, 3}, nil, nil, []int{1, 1, 1, 1}, 3},
	{"3x3_same_16x16", []int{16, 16}, []int{3, 3}, nil, nil, []int{1, 1, 1, 1}, 2},
	{"3x3_same_8x8", []int{8, 8}, []int{3, 3}, nil, nil, []int{1, 1, 1, 1}, 2},
	{"3x3_s2_32x32", []int{32, 32}, []int{3, 3}, []int{2, 2}, nil, []int{1, 1, 1, 1}, 2},
	{"3x3_s2_odd_15x13", []int{15, 13}, []int{3, 3}, []int{2, 2}, nil, []int{1, 1, 1, 1}, 2},
	{"1x1_s2_16x16", []int{16, 16}, []int{1, 1}, []int{2, 2}, nil, nil, 3},
	{"3x3_valid_10x9", []int{10, 9}, []int{3, 3}, nil, nil, nil, 2},
	{"5x5_pad2_7x7", []int{7, 7}, []int{5, 5}, nil, nil, []int{2, 2, 2, 2}, 1},
	{"3x3_dil2_12x11", []int{12, 11}, []int{3, 3}, nil, []int{2, 2}, []int{2, 1, 2, 3}, 2},
	{"3x2_asym_s3x1_9x20", []int{9, 20}, []int{3, 2}, []int{3, 1}, nil, []int{0, 1, 2, 0}, 2},
	{"7x7_s2_pad3_23x23", []int{23, 23}, []int{7, 7}, []int{2, 2}, nil, []int{3, 3, 3, 3}, 1},
	{"3x3_pad_past_kernel_5x6", []int{5, 6}, []int{3, 3}, nil, nil, []int{3, 4, 3, 4}, 1},
	{"1d_k3_s1_40", []int{40}, []int{3}, nil, nil, []int{1, 1}, 2},
	{"1d_k5_s3_dil2_50", []int{50}, []int{5}, []int{3}, []int{2}, []int{4, 1}, 2},
	{"3x3_same_dil5_32x16", []int{16, 32}, []int{3, 3}, nil, []int{5, 5}, []int{5, 5, 5, 5}, 1},
	{"3x3_same_dil9_16x24", []int{16, 24}, []int{3, 3}, nil, []int{9, 9}, []int{9, 9, 9, 9}, 1},
	{"5x5_same_8x8", []int{8, 8}, []int{5, 5}, nil, nil, []int{2, 2, 2, 2}, 2},
	{"3x3_same_rows_only_24x16", []int{24, 16}, []int{3, 1}, nil, nil, []int{1, 0, 1, 0}, 2},
	{"3x3_s4_17x33", []int{17, 33}, []int{3, 3}, []int{4, 4}, nil, []int{1, 1, 1, 1}, 1},
	// Stride 1 "same" rows that are not a whole number of 8-wide steps,
	// so steps cross output rows: mnist-8's two convolutions, rows just
	// over one step, a tap more than eight columns off, and vertical
	// padding that differs above and below.
	{"5x5_same_28x28", []int{28, 28}, []int{5, 5}, nil, nil, []int{2, 2, 2, 2}, 1},
	{"5x5_same_14x14", []int{14, 14}, []int{5, 5}, nil, nil, []int{2, 2, 2, 2}, 3},
	{"5x5_same_9x9", []int{9, 9}, []int{5, 5}, nil, nil, []int{2, 2, 2, 2}, 2},
	{"3x3_same_dil5_13x11", []int{13, 11}, []int{3, 3}, nil, []int{5, 5}, []int{5, 5, 5, 5}, 1},
	{"3x3_same_dil6_12x12", []int{12, 12}, []int{3, 3}, nil, []int{6, 6}, []int{6, 9, 6, 3}, 1},
	// Rows that tile the AVX2 GEMM's 16-wide panels (panels16Shifted):
	// four rows of 4 per panel, 1-D rows of 64, a kernel wider than the
	// image, and the same "same" shapes with uneven padding.
	{"3x3_same_4x4", []int{4, 4}, []int{3, 3}, nil, nil, []int{1, 1, 1, 1}, 3},
	{"1d_k3_same_64", []int{64}, []int{3}, nil, nil, []int{1, 1}, 2},
	{"5x5_same_2x2", []int{2, 2}, []int{5, 5}, nil, nil, []int{2, 2, 2, 2}, 2},
	{"3x3_same_uneven_16x32", []int{16, 32}, []int{3, 3}, nil, nil, []int{2, 0, 0, 2}, 2},
	{"3x3_asym_rows_11x11", []int{11, 11}, []int{3, 3}, nil, nil, []int{0, 1, 2, 1}, 2},
}

// TestColPanelsMatchesIm2Col: every block ColPanels writes, at every panel
// width (the wasm kernel's 8, AVX2's 16, others and the whole row),
// equals the same block of Im2Col's matrix packed by gemm.MatrixPanels,
// bit for bit; the last image row lying at the very end of the image
// slice guards the kernel's reads at the end.
func TestColPanelsMatchesIm2Col(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range colPanelsCases {
		t.Run(tc.name, func(t *testing.T) {
			g, img, rows, cols := colPanelsImage(t, rng, tc)
			col := make([]float32, rows*cols)
			Im2Col(col, img, tc.channels, &g.Window)
			ref := &gemm.MatrixPanels{B: col, LDB: cols}
			s, ok := NewColPanels(tc.channels, &g.Window)
			if !ok {
				t.Fatal("NewColPanels refused a 2-D window")
			}
			s.SetImage(img)
			if s.Rows() != rows || s.Cols() != cols {
				t.Fatalf("ColPanels is %d x %d, Im2Col %d x %d", s.Rows(), s.Cols(), rows, cols)
			}
			for _, width := range []int{8, 16, 4, 3, cols} {
				// The last four blocks start on a 16-column boundary (and
				// on the rows of 8, 4, 2 panels16Shifted takes), as the
				// AVX2 GEMM's do.
				for _, blk := range [][4]int{{0, rows, 0, cols}, {1, rows - 1, 3, cols - 3}, {rows / 2, rows - rows/2, cols / 3, cols - cols/3 - 1}, {rows - 1, 1, cols - 1, 1},
					{0, rows, 16, cols - 16}, {1, rows - 2, cols - 16, 16}, {0, rows, 0, cols - 5}, {2, 1, 16, min(16, cols-16)}} {
					p0, kb, j0, nb := blk[0], blk[1], blk[2], blk[3]
					if kb < 1 || nb < 1 || j0 < 0 {
						continue
					}
					size := (nb + width - 1) / width * width * kb
					got, want := make([]float32, size+1), make([]float32, size)
					for i := range got {
						got[i] = float32(math.NaN())
					}
					s.Panels(got[:size], p0, kb, j0, nb, width)
					ref.Panels(want, p0, kb, j0, nb, width)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("width %d block rows [%d,+%d) cols [%d,+%d): value %d = %v, want %v", width, p0, kb, j0, nb, i, got[i], want[i])
						}
					}
					if !math.IsNaN(float64(got[size])) {
						t.Fatalf("width %d: wrote past the panels", width)
					}
				}
			}
		})
	}
}

// TestColPanelsRefuses3D: 3-D windows stay with Im2Col.
func TestColPanelsRefuses3D(t *testing.T) {
	g, err := ResolveConv([]int{1, 1, 4, 4, 4}, []int{1, 1, 3, 3, 3}, ConvParams{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := NewColPanels(1, &g.Window); ok {
		t.Fatal("NewColPanels accepted a 3-D window")
	}
}

func BenchmarkColPanels(b *testing.B) {
	for _, s := range []struct {
		c, hw, stride int
	}{{16, 32, 1}, {32, 16, 1}, {64, 8, 1}, {16, 32, 2}} {
		g, err := ResolveConv([]int{1, s.c, s.hw, s.hw}, []int{1, s.c, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}, Strides: []int{s.stride, s.stride}})
		if err != nil {
			b.Fatal(err)
		}
		img := make([]float32, s.c*g.InSize())
		rows, cols := s.c*9, g.OutSize()
		for _, width := range []int{8, 16} {
			b.Run(fmt.Sprintf("panels%d/%dc_%dx%d_s%d", width, s.c, s.hw, s.hw, s.stride), func(b *testing.B) {
				p, _ := NewColPanels(s.c, &g.Window)
				p.SetImage(img)
				dst := make([]float32, (cols+width-1)/width*width*rows)
				for b.Loop() {
					p.Panels(dst, 0, rows, 0, cols, width)
				}
				b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
			})
		}
		b.Run(fmt.Sprintf("im2col/%dc_%dx%d_s%d", s.c, s.hw, s.hw, s.stride), func(b *testing.B) {
			col := make([]float32, rows*cols)
			for b.Loop() {
				Im2Col(col, img, s.c, &g.Window)
			}
			b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gvalues/s")
		})
	}
}

// TestColRowsCacheFollowsGeometry: the row table a ConvGeometry caches is
// the one Reset builds, and is rebuilt when the channel count or the
// window changes after ResolveConv.
func TestColRowsCacheFollowsGeometry(t *testing.T) {
	g, err := ResolveConv([]int{1, 3, 14, 14}, []int{4, 3, 5, 5}, ConvParams{Pads: []int{2, 2, 2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, channels int) {
		t.Helper()
		tab, ok := colRowsFor(g, channels)
		want, _ := NewColPanels(channels, &g.Window)
		if !ok || !slices.Equal(tab.rows, want.rows) {
			t.Fatalf("%s: cached rows %v, Reset builds %v", what, tab.rows, want.rows)
		}
		// The frame offsets cached beside them are the ones an uncached
		// ColPanels builds for its own frame.
		img := make([]float32, channels*g.InSize())
		sh := want.shifted(img, make([]float32, want.frameFloats()))
		if !slices.Equal(tab.offsets, sh.Offsets) {
			t.Fatalf("%s: cached frame offsets %v, ColPanels builds %v", what, tab.offsets, sh.Offsets)
		}
	}
	check("first use", 3)
	check("second use", 3)
	check("another channel count", 2)
	g.PadBegin[1], g.PadEnd[1] = 1, 3
	check("a changed window", 2)
	if _, ok := colRowsFor(&ConvGeometry{Window: g.Window}, 2); ok {
		t.Fatal("a geometry not made by ResolveConv had a cache")
	}
}

// TestColRowTablesAreShared: convolutions of the same window and channel
// count (a network's repeated layers) share one row table rather than
// holding one each, which was 1.4 MiB of DenseNet-121's heap; another
// window gets its own; and a table no geometry holds any more is dropped.
func TestColRowTablesAreShared(t *testing.T) {
	resolve := func(h int) *ConvGeometry {
		g, err := ResolveConv([]int{1, 40, h, h}, []int{8, 40, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	rowsOf := func(g *ConvGeometry) []colRow {
		tab, ok := colRowsFor(g, 40)
		if !ok || len(tab.rows) != 40*9 {
			t.Fatalf("colRowsFor: ok %v", ok)
		}
		return tab.rows
	}
	a, b, c := resolve(19), resolve(19), resolve(23)
	ra, rb, rc := rowsOf(a), rowsOf(b), rowsOf(c)
	if &ra[0] != &rb[0] {
		t.Fatal("two geometries of one window and channel count built a row table each")
	}
	if &ra[0] == &rc[0] || slices.Equal(ra, rc) {
		t.Fatal("geometries of different windows share a row table")
	}
	key := colRowKey{40, c.Window.promote3()}
	c = nil
	runtime.KeepAlive(rc)
	rc = nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		colRowTables.Lock()
		_, held := colRowTables.m[key]
		colRowTables.Unlock()
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the row table of a window no geometry uses is still held")
		}
		time.Sleep(time.Millisecond)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}

// colPanelsImage resolves tc's window and fills a random image for it; it
// returns the geometry, the image and the size of its im2col matrix.
func colPanelsImage(t *testing.T, rng *rand.Rand, tc colPanelsCase) (g *ConvGeometry, img []float32, rows, cols int) {
	t.Helper()
	wShape := append([]int{1, tc.channels}, tc.kernel...)
	xShape := append([]int{1, tc.channels}, tc.in...)
	g, err := ResolveConv(xShape, wShape, ConvParams{Strides: tc.strides, Dilations: tc.dil, Pads: tc.pads})
	if err != nil {
		t.Fatal(err)
	}
	img = make([]float32, tc.channels*g.InSize())
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	return g, img, tc.channels * g.KernelSize(), g.OutSize()
}
