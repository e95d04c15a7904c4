package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// fakeQuantCases are the parameter sets of the fake-quant tests: the
// shapes of QuantizeLinear -> DequantizeLinear pairs the executor fuses,
// with the prefixes quantizers write, and degenerate ones.
func fakeQuantCases() []struct {
	name string
	q    FakeQuant
} {
	nan := float32(math.NaN())
	return []struct {
		name string
		q    FakeQuant
	}{
		{"uint4 zero point 0", FakeQuant{Scale: 0.1, Lo: 0, Hi: 15, NaN: 0, Step: 0.1}},
		{"int8 two scales", FakeQuant{Scale: 0.05, Lo: -125, Hi: 130, NaN: 3, Offset: -8, Step: 0.07}},
		{"uint8 zero point 128, power-of-two scale", FakeQuant{Scale: 0.25, Lo: -128, Hi: 127, NaN: -128, Offset: 0, Step: 0.25}},
		{"QIL signed", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantAbs}}, Scale: 1.5 / 7, Lo: 0, Hi: 7, Step: 1.5 / 7, Signed: true}},
		{"QIL unsigned, Clip not merged", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantSub, A: 0.3}, {Kind: FakeQuantClip, A: 0, B: 2}}, Scale: 2.0 / 15, Lo: 0, Hi: 15, Step: 2.0 / 15}},
		{"Relu, Add", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantRelu}, {Kind: FakeQuantAdd, A: -0.1}}, Scale: 0.2, Lo: -128, Hi: 127, Step: 0.2}},
		{"input scaling, then a signed quantizer", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantMul, A: 1.0 / 255}, {Kind: FakeQuantAbs}}, Scale: 0.5 / 7, Lo: 0, Hi: 7, Step: 0.5 / 7, Signed: true, SignScale: 1.0 / 255}},
		{"signed, the sign of x scaled to underflow and overflow", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantMul, A: 1e-38}, {Kind: FakeQuantAbs}}, Scale: 1e-39, Lo: 0, Hi: 7, Offset: 1, Step: 0.25, Signed: true, SignScale: 1e-38}},
		{"signed, negative sign scale", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantMul, A: -3e38}, {Kind: FakeQuantAbs}}, Scale: 1e38, Lo: -8, Hi: 7, Offset: 1, Step: 0.25, Signed: true, SignScale: -3e38}},
		{"input scaling (Mul)", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantMul, A: 1.0 / 255}}, Scale: 1.0 / 255, Lo: -128, Hi: 127, NaN: -128, Offset: 0, Step: 1.0 / 255}},
		{"every op, signed", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantAdd, A: 0.05}, {Kind: FakeQuantRelu}, {Kind: FakeQuantAbs}, {Kind: FakeQuantClip, A: -1, B: 1}, {Kind: FakeQuantSub, A: 0.5}, {Kind: FakeQuantMul, A: -1.7}},
			Scale: 0.125, Lo: -8, Hi: 7, NaN: 0, Offset: 1, Step: 0.125, Signed: true}},
		{"Clip with a reversed range", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantClip, A: 3, B: 2}}, Scale: 0.01, Lo: -128, Hi: 127, Step: 0.01}},
		{"Clip to NaN bounds", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantClip, A: nan, B: nan}}, Scale: 0.5, Lo: -8, Hi: 7, Step: 0.5}},
		{"zero scale", FakeQuant{Scale: 0, Lo: -8, Hi: 7, NaN: 0, Step: 0.3}},
		{"negative scale, fractional offset", FakeQuant{Scale: -0.3, Lo: -8, Hi: 7, NaN: 0, Offset: 0.5, Step: 0.3}},
		{"one level", FakeQuant{Scale: 0.1, Lo: 2, Hi: 2, NaN: 0, Step: 0.1}},
		{"reversed range (Go only)", FakeQuant{Scale: 0.1, Lo: 3, Hi: -3, NaN: 0, Step: 0.1}},
		{"infinite step", FakeQuant{Scale: 0.1, Lo: -8, Hi: 7, NaN: 0, Step: float32(math.Inf(1))}},
	}
}

// fakeQuantInputs are n values meant to break a vector kernel that is not
// the Go loop: rounding ties of the scale (and of 0.25), values on and
// beyond the saturation bounds, zeros of both signs, infinities, NaNs of
// both signs and with payloads, subnormals and huge values.
func fakeQuantInputs(rng *rand.Rand, n int, scale float32) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xFFC00000), math.Float32frombits(0x7F800001), math.Float32frombits(0xFFA5A5A5),
		1e-45, -1e-45, 1e30, -1e30, math.MaxFloat32, 0.5, -0.5, 1.5, -2.5, 0.375, -0.125}
	x := make([]float32, n)
	for i := range x {
		k := float32(rng.IntN(300) - 150)
		switch rng.IntN(6) {
		case 0:
			x[i] = (k + 0.5) * scale
		case 1:
			x[i] = (k + 0.5) * 0.25
		case 2:
			x[i] = k * scale
		case 3:
			x[i] = special[rng.IntN(len(special))]
		default:
			x[i] = float32(rng.NormFloat64() * 3)
		}
	}
	return x
}

// sameFloat reports whether a and b are the same float32 (any NaN equals
// any NaN: the ONNX kernels do not define NaN payloads).
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestFakeQuantSIMDMatchesGo: Apply (the AVX2 or wasm SIMD kernel on the
// vector part, Go on the rest) writes the Go loop's bits, for every
// length from 0 to 70 and a few past the block size, at every alignment,
// in place and not, and writes nothing outside y.
func TestFakeQuantSIMDMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	lengths := []int{1023, 1024, 1031, 2048 + 13, 5000}
	for n := 0; n <= 70; n++ {
		lengths = append(lengths, n)
	}
	const guard = 8
	for _, c := range fakeQuantCases() {
		q := c.q
		for _, n := range lengths {
			x := fakeQuantInputs(rng, n, q.Scale)
			want := make([]float32, n)
			q.applyGo(want, x)
			if simdKernels && n >= fakeQuantSIMDMin && !(q.Lo > q.Hi) && simdFakeQuant(&q, make([]float32, n), x) == 0 {
				t.Fatalf("%s, n=%d: the vector kernel declined", c.name, n)
			}
			for off := range 8 {
				if n > 100 && off > 1 {
					break
				}
				buf := make([]float32, n+off+guard)
				for i := range buf {
					buf[i] = -7777
				}
				xs := append(make([]float32, off, off+n), x...)[off:] // x at an offset of off floats
				ys := buf[off : off+n]
				q.Apply(ys, xs)
				check := func(how string) {
					for i, w := range want {
						if !sameFloat(ys[i], w) {
							t.Fatalf("%s, n=%d, offset %d, %s: y[%d] = %v (%#08x), Go %v (%#08x); x = %v",
								c.name, n, off, how, i, ys[i], math.Float32bits(ys[i]), w, math.Float32bits(w), x[i])
						}
					}
					for i, v := range buf {
						if (i < off || i >= off+n) && v != -7777 {
							t.Fatalf("%s, n=%d, offset %d, %s: wrote outside y at %d", c.name, n, off, how, i-off)
						}
					}
				}
				check("out of place")
				if !q.Signed {
					copy(ys, x)
					q.Apply(ys, ys)
					check("in place")
				}
			}
		}
	}
}

// TestFakeQuantMatchesQDQFormula checks the Go loop itself against
// QuantizeLinear and DequantizeLinear written out in float64 with
// integer levels (round half to even, saturate, NaN to level 0), so the
// fast form cannot drift from the operators it stands for.
func TestFakeQuantMatchesQDQFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, p := range []struct {
		s, s2    float32
		z, z2    int
		qLo, qHi int
		name     string
	}{
		{s: 0.1, s2: 0.1, z: 0, z2: 0, qLo: 0, qHi: 15, name: "uint4"},
		{s: 0.05, s2: 0.07, z: -3, z2: 5, qLo: -128, qHi: 127, name: "int8"},
		{s: 0.25, s2: 0.25, z: 128, z2: 128, qLo: 0, qHi: 255, name: "uint8"},
		{s: 0.3, s2: 0.3, z: 1, z2: 1, qLo: -8, qHi: 7, name: "int4"},
	} {
		q := FakeQuant{Scale: p.s, Lo: float32(p.qLo - p.z), Hi: float32(p.qHi - p.z), NaN: float32(-p.z), Offset: float32(p.z - p.z2), Step: p.s2}
		x := fakeQuantInputs(rng, 4000, p.s)
		y := make([]float32, len(x))
		q.Apply(y, x)
		for i, v := range x {
			k := 0 // NaN quantizes to level 0
			if v == v {
				r := math.RoundToEven(float64(v / p.s)) // the division in float32, as QuantizeLinear
				k = int(math.Max(float64(p.qLo), math.Min(float64(p.qHi), r+float64(p.z))))
			}
			want := float32(k-p.z2) * p.s2
			if !sameFloat(y[i], want) {
				t.Fatalf("%s: x = %v: %v, QuantizeLinear -> DequantizeLinear %v (level %d)", p.name, v, y[i], want, k)
			}
		}
	}
}

// BenchmarkFakeQuant times Apply on 64K values (ns/op / 65536 is the
// cost of one value) for the pair alone and with QIL's prefixes.
func BenchmarkFakeQuant(b *testing.B) {
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%997)*0.001 - 0.2
	}
	y := make([]float32, len(x))
	for _, c := range []struct {
		name string
		q    FakeQuant
	}{
		{"pair", FakeQuant{Scale: 0.02, Lo: 0, Hi: 15, Step: 0.02}},
		{"sub", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantSub, A: 0.1}}, Scale: 0.02, Lo: 0, Hi: 15, Step: 0.02}},
		{"signed", FakeQuant{Pre: []FakeQuantOp{{Kind: FakeQuantAbs}}, Scale: 0.02, Lo: 0, Hi: 7, Step: 0.02, Signed: true}},
	} {
		b.Run(fmt.Sprintf("%s/simd=%v", c.name, simdKernels), func(b *testing.B) {
			for b.Loop() {
				c.q.Apply(y, x)
			}
		})
		b.Run(c.name+"/go", func(b *testing.B) {
			for b.Loop() {
				c.q.applyGo(y, x)
			}
		})
	}
}

// TestFakeQuantSignScaleIsTheScaledInputsSign: a signed fake quantization
// whose Pre starts with the input's Mul by SignScale computes what the
// unscaled one does on the product (the Mul node's output, which the Sign
// reads), including where the product underflows to zero or overflows
// while x does not, which the sign of x alone would get wrong.
func TestFakeQuantSignScaleIsTheScaledInputsSign(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	tested := 0
	for _, c := range fakeQuantCases() {
		q := c.q
		if q.SignScale == 0 {
			continue
		}
		tested++
		plain := q
		plain.Pre, plain.SignScale = q.Pre[1:], 0
		for _, n := range []int{3, 64, 1029} {
			x := fakeQuantInputs(rng, n, q.Scale/q.SignScale)
			x = append(x, 1e-45, -1e-45, 3e-39, -2e-7, 5, -5, 3e38)
			m := make([]float32, len(x))
			for i, v := range x {
				m[i] = v * q.SignScale
			}
			got, want := make([]float32, len(x)), make([]float32, len(x))
			q.Apply(got, x)
			plain.Apply(want, m)
			for i := range x {
				if !sameFloat(got[i], want[i]) {
					t.Fatalf("%s, n=%d: x = %v: %v, the unscaled form on x*%v = %v: %v", c.name, n, x[i], got[i], q.SignScale, m[i], want[i])
				}
			}
		}
	}
	if tested == 0 {
		t.Fatal("no case sets SignScale")
	}
}
