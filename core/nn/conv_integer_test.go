package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/tensor"
)

// integerConvCase is a quantized 2-D convolution: x = step * xc, w =
// scale[m] * wc, as a QDQ model computes them.
type integerConvCase struct {
	g      *ConvGeometry
	xc, wc []int16
	step   float32
	scale  []float32
	x, w   *tensor.Tensor
	b, res *tensor.Tensor
	ic     *IntegerConv
}

func newIntegerConvCase(t *testing.T, rng *rand.Rand, xShape, wShape []int, p ConvParams, xMax int) *integerConvCase {
	t.Helper()
	g, err := ResolveConv(xShape, wShape, p)
	if err != nil {
		t.Fatal(err)
	}
	q := &integerConvCase{g: g, step: float32(0.01 + 0.1*rng.Float64())}
	q.xc = make([]int16, product(xShape))
	q.x = tensor.New(tensor.Float32, xShape)
	for i := range q.xc {
		q.xc[i] = int16(rng.IntN(2*xMax+1) - xMax)
		q.x.F32[i] = float32(q.xc[i]) * q.step
	}
	m, k := wShape[0], product(wShape[1:])
	q.wc = make([]int16, m*k)
	q.scale = make([]float32, m)
	q.w = tensor.New(tensor.Float32, wShape)
	alpha := make([]float32, m)
	for r := 0; r < m; r++ {
		q.scale[r] = float32(0.001 + 0.01*rng.Float64())
		alpha[r] = q.scale[r] * q.step
		for c := 0; c < k; c++ {
			q.wc[r*k+c] = int16(rng.IntN(255) - 127)
			q.w.F32[r*k+c] = float32(q.wc[r*k+c]) * q.scale[r]
		}
	}
	q.b = tensor.New(tensor.Float32, []int{m})
	for i := range q.b.F32 {
		q.b.F32[i] = float32(rng.NormFloat64())
	}
	q.res = tensor.New(tensor.Float32, g.OutShape())
	for i := range q.res.F32 {
		q.res.F32[i] = float32(rng.NormFloat64())
	}
	a, err := gemm.NewQuantA(q.wc, m, k, alpha)
	if err != nil {
		t.Fatal(err)
	}
	q.ic = &IntegerConv{A: a, Inv: 1 / q.step}
	return q
}

// exact is the integer path's contract for output (n, m, i): the exact
// sum of code products, to float32, times the row's scale, added to the
// residual plus bias, then clamped.
func (q *integerConvCase) exact(e Epilogue) []float32 {
	g := q.g
	out := make([]float32, product(g.OutShape()))
	c, m := g.InChannels, g.OutChannels
	kh, kw := g.Kernel[0], g.Kernel[1]
	ih, iw, oh, ow := g.In[0], g.In[1], g.Out[0], g.Out[1]
	for n := 0; n < g.Batch; n++ {
		for r := 0; r < m; r++ {
			alpha := q.scale[r] * q.step
			for y := 0; y < oh; y++ {
				for x := 0; x < ow; x++ {
					var s int64
					for ch := 0; ch < c; ch++ {
						for a := 0; a < kh; a++ {
							for b := 0; b < kw; b++ {
								yy := y*g.Strides[0] - g.PadBegin[0] + a*g.Dilations[0]
								xx := x*g.Strides[1] - g.PadBegin[1] + b*g.Dilations[1]
								if yy < 0 || yy >= ih || xx < 0 || xx >= iw {
									continue
								}
								s += int64(q.wc[((r*c+ch)*kh+a)*kw+b]) * int64(q.xc[((n*c+ch)*ih+yy)*iw+xx])
							}
						}
					}
					i := ((n*m+r)*oh+y)*ow + x
					start := q.b.F32[r]
					if e.Residual != nil {
						start = float32(e.Residual.F32[i] + q.b.F32[r])
					}
					v := float32(start + float32(float32(s)*alpha))
					if e.Clamp {
						v = min(max(v, e.Min), e.Max)
					}
					out[i] = v
				}
			}
		}
	}
	return out
}

// TestConvIntegerIsTheExactIntegerSum: where the platform has the integer
// kernel, a quantized convolution (pointwise; 3x3 padded; strided and
// dilated; with a residual and ReLU6) is the exact integer sum scaled
// once, to the bit, and within float32 rounding of the float convolution
// of the dequantized values; where it has none, it is the float
// convolution's bits.
func TestConvIntegerIsTheExactIntegerSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	relu6 := Epilogue{Clamp: true, Min: 0, Max: 6}
	for _, tc := range []struct {
		name     string
		x, w     []int
		p        ConvParams
		residual bool
		e        Epilogue
	}{
		{"pointwise", []int{2, 24, 7, 9}, []int{20, 24, 1, 1}, ConvParams{}, false, Epilogue{}},
		{"pointwise, residual and ReLU6", []int{3, 17, 5, 5}, []int{33, 17, 1, 1}, ConvParams{}, true, relu6},
		{"3x3 padded", []int{2, 8, 11, 10}, []int{12, 8, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}, false, ReluEpilogue()},
		{"3x3 stride 2", []int{1, 5, 13, 12}, []int{7, 5, 3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, true, Epilogue{}},
		{"2x3 dilated", []int{2, 3, 9, 9}, []int{5, 3, 2, 3}, ConvParams{Dilations: []int{2, 1}, Pads: []int{0, 1, 1, 0}}, false, Epilogue{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newIntegerConvCase(t, rng, tc.x, tc.w, tc.p, 15)
			e := tc.e
			if tc.residual {
				e.Residual = q.res
			}
			ref := tensor.New(tensor.Float32, q.g.OutShape())
			if err := ConvFusedIntoCol(ref, q.x, q.w, q.b, q.g, e, nil); err != nil {
				t.Fatal(err)
			}
			got := tensor.New(tensor.Float32, q.g.OutShape())
			if err := ConvIntegerIntoCol(got, q.x, q.w, q.b, q.g, e, nil, q.ic); err != nil {
				t.Fatal(err)
			}
			if !gemm.IntegerKernel() {
				if i, ok := firstBitDiff(got.F32, ref.F32); !ok {
					t.Fatalf("no integer kernel: output %d = %v, the float convolution's %v", i, got.F32[i], ref.F32[i])
				}
				return
			}
			want := q.exact(e)
			if i, ok := firstBitDiff(got.F32, want); !ok {
				t.Fatalf("output %d = %v, want the exact integer sum's %v", i, got.F32[i], want[i])
			}
			for i := range want {
				if d := math.Abs(float64(got.F32[i] - ref.F32[i])); d > 1e-5*(1+math.Abs(float64(ref.F32[i]))) {
					t.Fatalf("output %d = %v, the float convolution's %v: %.3g apart", i, got.F32[i], ref.F32[i], d)
				}
			}
		})
	}
}

// TestConvIntegerFallsBackOnNaN: an image with a NaN in it is computed in
// float (NaN propagating as it does there); the other images of the batch
// keep the integer result.
func TestConvIntegerFallsBackOnNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name string
		w    []int
		p    ConvParams
	}{
		{"pointwise", []int{6, 4, 1, 1}, ConvParams{}},
		{"3x3", []int{6, 4, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newIntegerConvCase(t, rng, []int{3, 4, 6, 6}, tc.w, tc.p, 15)
			plane := 4 * 6 * 6
			q.x.F32[plane+17] = float32(math.NaN()) // image 1
			e := Epilogue{Residual: q.res}
			ref := tensor.New(tensor.Float32, q.g.OutShape())
			if err := ConvFusedIntoCol(ref, q.x, q.w, q.b, q.g, e, nil); err != nil {
				t.Fatal(err)
			}
			// With the float weight, and with its shape alone and Float
			// to make it (called once, for the image with the NaN).
			calls := 0
			lazy := *q.ic
			lazy.Float = func() *tensor.Tensor { calls++; return q.w }
			shapeOnly := &tensor.Tensor{DType: tensor.Float32, Shape: q.w.Shape}
			for _, v := range []struct {
				w  *tensor.Tensor
				ic *IntegerConv
			}{{q.w, q.ic}, {shapeOnly, &lazy}} {
				got := tensor.New(tensor.Float32, q.g.OutShape())
				for i := range got.F32 {
					got.F32[i] = 12345 // stale values of a recycled buffer
				}
				if err := ConvIntegerIntoCol(got, q.x, v.w, q.b, q.g, e, nil, v.ic); err != nil {
					t.Fatal(err)
				}
				out := 6 * 36
				if i, ok := firstBitDiff(got.F32[out:2*out], ref.F32[out:2*out]); !ok {
					t.Fatalf("image 1 (with the NaN), output %d = %v, the float convolution's %v", i, got.F32[out+i], ref.F32[out+i])
				}
				if !gemm.IntegerKernel() {
					continue
				}
				want := q.exact(e)
				for _, img := range []int{0, 2} {
					if i, ok := firstBitDiff(got.F32[img*out:(img+1)*out], want[img*out:(img+1)*out]); !ok {
						t.Fatalf("image %d, output %d = %v, want the integer sum's %v", img, i, got.F32[img*out+i], want[img*out+i])
					}
				}
			}
			if want := 1; calls != want {
				t.Errorf("Float called %d times for one call with one image to redo, want %d", calls, want)
			}
		})
	}
}

// firstBitDiff returns the first index where a and b differ in bits
// (NaNs of any payload equal), and ok when there is none.
func firstBitDiff(a, b []float32) (int, bool) {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i, false
		}
	}
	return 0, true
}
