package dataset

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pare-ml/pare/internal/testassets"
)

// packedSet makes an in-memory set of images of one shape.
func packedSet(shape Shape, pix []uint8) *Set {
	set, err := New(shape, pix, make([]int, len(pix)/shape.Size()), []string{"only"})
	if err != nil {
		panic(err)
	}
	return set
}

func TestNewChecksItsInput(t *testing.T) {
	for _, tc := range []struct {
		shape  Shape
		pixels int
		labels []int
		want   string
	}{
		{Shape{2, 1, 1}, 2, []int{0}, "1 or 3 channels"},
		{Shape{1, 2, 2}, 3, []int{0}, "3 pixels for 1 images"},
		{Shape{1, 1, 1}, 1, []int{1}, "out of range"},
	} {
		_, err := New(tc.shape, make([]uint8, tc.pixels), tc.labels, []string{"a"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v, %d pixels, %v): %v, want %q", tc.shape, tc.pixels, tc.labels, err, tc.want)
		}
	}
}

func closeTo(a, b, tol float32) bool { return float32(math.Abs(float64(a-b))) <= tol }

func TestDefaultPreprocess(t *testing.T) {
	cases := []struct {
		shape []int
		want  Preprocess
	}{
		{[]int{1, 1, 28, 28}, Preprocess{Channels: 1, Height: 28, Width: 28, Layout: LayoutNCHW}},
		{[]int{-1, 3, 32, 32}, Preprocess{Channels: 3, Height: 32, Width: 32, Layout: LayoutNCHW}},
		{[]int{1, 224, 224, 3}, Preprocess{Channels: 3, Height: 224, Width: 224, Layout: LayoutNHWC}},
		{[]int{0, 28, 28, 1}, Preprocess{Channels: 1, Height: 28, Width: 28, Layout: LayoutNHWC}},
		{[]int{3, 32, 32}, Preprocess{Channels: 3, Height: 32, Width: 32, Layout: LayoutNCHW}},
		{[]int{1, 3, 0, 0}, Preprocess{Channels: 3, Layout: LayoutNCHW}},
		{[]int{1, 784}, Preprocess{Channels: 1, Height: 28, Width: 28, Layout: LayoutNCHW}},
		{[]int{1, 3072}, Preprocess{Channels: 3, Height: 32, Width: 32, Layout: LayoutNCHW}},
		{[]int{1, 100, 7, 7}, Preprocess{Height: 7, Width: 7, Layout: LayoutNCHW}},
	}
	for _, tc := range cases {
		tc.want.ChannelOrder, tc.want.Scale = OrderRGB, 1
		if got := DefaultPreprocess(tc.shape); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DefaultPreprocess(%v) = %+v, want %+v", tc.shape, got, tc.want)
		}
	}
}

func TestBatchMeanStdAndLayouts(t *testing.T) {
	// two 3x2x2 images; image k channel c pixel i = 100*k + 10*c + i
	pix := make([]uint8, 24)
	for k := 0; k < 2; k++ {
		for c := 0; c < 3; c++ {
			for i := 0; i < 4; i++ {
				pix[k*12+c*4+i] = uint8(100*k + 10*c + i)
			}
		}
	}
	set := packedSet(Shape{3, 2, 2}, pix)
	p := Preprocess{Scale: 1.0 / 255, Mean: []float32{0.5, 0.25, 0}, Std: []float32{0.5, 0.25, 2}}
	nchw := make([]float32, 24)
	if err := set.Batch([]int{1, 0}, p, nchw); err != nil {
		t.Fatal(err)
	}
	mean, std := []float32{0.5, 0.25, 0}, []float32{0.5, 0.25, 2}
	for k, img := range []int{1, 0} {
		for c := 0; c < 3; c++ {
			for i := 0; i < 4; i++ {
				raw := float32(100*img + 10*c + i)
				want := (raw/255 - mean[c]) / std[c]
				if got := nchw[k*12+c*4+i]; !closeTo(got, want, 1e-6) {
					t.Fatalf("NCHW[%d,%d,%d] = %v, want %v", k, c, i, got, want)
				}
			}
		}
	}
	p.Layout = LayoutNHWC
	nhwc := make([]float32, 24)
	if err := set.Batch([]int{1, 0}, p, nhwc); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 2; k++ {
		for c := 0; c < 3; c++ {
			for i := 0; i < 4; i++ {
				if nhwc[k*12+i*3+c] != nchw[k*12+c*4+i] {
					t.Fatalf("NHWC is not the transpose of NCHW at image %d channel %d pixel %d", k, c, i)
				}
			}
		}
	}
	if shape, _ := set.BatchShape(2, p); !reflect.DeepEqual(shape, []int{2, 2, 2, 3}) {
		t.Errorf("NHWC batch shape %v", shape)
	}
}

func TestBatchBGRAndChannelConversion(t *testing.T) {
	rgb := packedSet(Shape{3, 1, 1}, []uint8{200, 100, 50})
	out := make([]float32, 3)
	if err := rgb.Batch([]int{0}, Preprocess{Scale: 1, ChannelOrder: OrderBGR, Mean: []float32{1, 2, 3}}, out); err != nil {
		t.Fatal(err)
	}
	if out[0] != 49 || out[1] != 98 || out[2] != 197 {
		t.Errorf("BGR with per-channel mean: %v, want [50-1 100-2 200-3]", out)
	}
	gray := make([]float32, 1)
	if err := rgb.Batch([]int{0}, Preprocess{Channels: 1, Scale: 1}, gray); err != nil {
		t.Fatal(err)
	}
	if want := float32(0.299*200 + 0.587*100 + 0.114*50); !closeTo(gray[0], want, 1e-4) {
		t.Errorf("RGB to gray = %v, want BT.601 luma %v", gray[0], want)
	}
	g := packedSet(Shape{1, 1, 2}, []uint8{7, 9})
	out = make([]float32, 6)
	if err := g.Batch([]int{0}, Preprocess{Channels: 3, Scale: 1, Layout: LayoutNHWC}, out); err != nil {
		t.Fatal(err)
	}
	if want := []float32{7, 7, 7, 9, 9, 9}; !reflect.DeepEqual(out, want) {
		t.Errorf("gray to RGB NHWC = %v, want %v", out, want)
	}
}

func TestResizeConstantStaysConstant(t *testing.T) {
	for _, size := range [][2]int{{28, 28}, {5, 9}, {64, 3}, {1, 1}, {13, 200}} {
		pix := make([]uint8, 3*11*7)
		for c, v := range []uint8{42, 128, 254} {
			for i := 0; i < 77; i++ {
				pix[c*77+i] = v
			}
		}
		set := packedSet(Shape{3, 11, 7}, pix)
		h, w := size[0], size[1]
		out := make([]float32, 3*h*w)
		if err := set.Batch([]int{0}, Preprocess{Height: h, Width: w, Scale: 1}, out); err != nil {
			t.Fatal(err)
		}
		for i, v := range out {
			want := []float32{42, 128, 254}[i/(h*w)]
			if v != want {
				t.Fatalf("resize to %dx%d: value %v at %d, want %v", h, w, v, i, want)
			}
		}
	}
}

func TestResizeMatchesPyTorchBilinear(t *testing.T) {
	// Reference: torch.nn.functional.interpolate(mode="bilinear",
	// align_corners=False) in PyTorch 1.13.
	cases := []struct {
		in         Shape
		pix        []uint8
		outH, outW int
		want       []float32
	}{
		{Shape{1, 2, 3}, []uint8{0, 10, 20, 30, 40, 50}, 4, 5,
			[]float32{0, 4, 10, 16, 20, 7.5, 11.5, 17.5, 23.5, 27.5, 22.5, 26.5, 32.5, 38.5, 42.5, 30, 34, 40, 46, 50}},
		{Shape{1, 6, 6}, func() []uint8 {
			p := make([]uint8, 36)
			for i := range p {
				p[i] = uint8(i)
			}
			return p
		}(), 4, 3, []float32{2, 4, 6, 11, 13, 15, 20, 22, 24, 29, 31, 33}},
	}
	for _, tc := range cases {
		set := packedSet(tc.in, tc.pix)
		out := make([]float32, tc.outH*tc.outW)
		if err := set.Batch([]int{0}, Preprocess{Height: tc.outH, Width: tc.outW, Scale: 1}, out); err != nil {
			t.Fatal(err)
		}
		for i := range out {
			if !closeTo(out[i], tc.want[i], 1e-4) {
				t.Fatalf("%v to %dx%d: got %v, want %v", tc.in, tc.outH, tc.outW, out, tc.want)
			}
		}
	}
}

func TestBatchMixedSizesFromImageFolder(t *testing.T) {
	fsys := fstest.MapFS{
		"a/big.png":   {Data: pngGray(t, 40, 30, 100)},
		"b/small.png": {Data: pngGray(t, 3, 3, 200)},
	}
	set, err := Open(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 2*28*28)
	if err := set.Batch([]int{0, 1}, Preprocess{Scale: 1}, out); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("native size of a mixed set: %v, want an error asking for a size", err)
	}
	if err := set.Batch([]int{0, 1}, DefaultPreprocess([]int{1, 1, 28, 28}), out); err != nil {
		t.Fatal(err)
	}
	if out[0] != 100 || out[28*28+400] != 200 {
		t.Errorf("resized constants: %v %v", out[0], out[28*28+400])
	}
}

func TestPreprocessErrors(t *testing.T) {
	set := packedSet(Shape{1, 2, 2}, make([]uint8, 8))
	cases := map[string]struct {
		p    Preprocess
		dst  int
		want string
	}{
		"zero scale":  {Preprocess{}, 4, "scale"},
		"short dst":   {Preprocess{Scale: 1}, 3, "batch buffer holds 3 values, want 4"},
		"mean length": {Preprocess{Scale: 1, Channels: 3, Mean: []float32{1, 2}}, 12, "mean has 2 values"},
		"std zero":    {Preprocess{Scale: 1, Std: []float32{0}}, 4, "std[0]"},
		"channels 2":  {Preprocess{Scale: 1, Channels: 2}, 8, "only 1 (gray) and 3"},
		"layout":      {Preprocess{Scale: 1, Layout: "CHWN"}, 4, "unknown layout"},
		"order":       {Preprocess{Scale: 1, ChannelOrder: "GBR"}, 4, "unknown channel order"},
	}
	for name, tc := range cases {
		err := set.Batch([]int{0}, tc.p, make([]float32, tc.dst))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if err := set.Batch([]int{2}, Preprocess{Scale: 1}, make([]float32, 4)); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("index out of range: %v", err)
	}
}

func TestSharedMNISTBatchForMNIST8(t *testing.T) {
	set, err := OpenPath(testassets.Dir(t, "data/mnist"))
	if err != nil {
		t.Fatal(err)
	}
	p := DefaultPreprocess([]int{1, 1, 28, 28})
	out := make([]float32, 2*784)
	if err := set.Batch([]int{0, 9999}, p, out); err != nil {
		t.Fatal(err)
	}
	img := mustImage(t, set, 9999)
	for i, v := range img.Pix {
		if out[784+i] != float32(v) {
			t.Fatalf("raw 0..255 expected: pixel %d = %v, want %d", i, out[784+i], v)
		}
	}
}

// A digits CSV (0..16) given to an MNIST model at the scale meant for
// 0..255 scored 57 % with only a size warning; the range is now named.
func TestRangeNote(t *testing.T) {
	digits := &Set{PixelMax: 16}
	note := RangeNote(digits, Preprocess{Scale: 1})
	for _, want := range []string{"0..16, not 0..255", "sees 0..16", "set the scale to 15.9375"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	if note := RangeNote(digits, Preprocess{Scale: 1.0 / 255}); !strings.Contains(note, "set the scale to 0.0625") {
		t.Errorf("at scale 1/255 the advice should be 1/16: %q", note)
	}
	if note := RangeNote(&Set{PixelMax: 255}, Preprocess{Scale: 1}); note != "" {
		t.Errorf("8-bit images got a range note: %q", note)
	}
}
