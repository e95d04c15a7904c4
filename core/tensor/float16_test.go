package tensor

import (
	"math"
	"testing"
)

func TestFloat16RoundTripsEveryValue(t *testing.T) {
	for h := range 1 << 16 {
		f := Float16ToFloat32(uint16(h))
		back := Float32ToFloat16(f)
		if f != f {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
	if got := Float16ToFloat32(0x7bff); got != 65504 {
		t.Errorf("largest half = %g", got)
	}
	if got := Float16ToFloat32(0x0001); got != 1.0/(1<<24) {
		t.Errorf("smallest subnormal half = %g", got)
	}
}

func TestBFloat16RoundTripsEveryValue(t *testing.T) {
	for b := range 1 << 16 {
		f := BFloat16ToFloat32(uint16(b))
		back := Float32ToBFloat16(f)
		if f != f {
			if back&0x7f80 != 0x7f80 || back&0x7f == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", b, back)
			}
			continue
		}
		if back != uint16(b) {
			t.Fatalf("%#04x -> %g -> %#04x", b, f, back)
		}
	}
}

// TestRoundingMatchesNumPyAndTorch compares the narrowing conversions with
// numpy's float16 and torch's bfloat16 casts of the same float32 values
// (testdata written by scripts/fixtures/make_npy_fixtures.py).
func TestRoundingMatchesNumPyAndTorch(t *testing.T) {
	in := readFixture(t, "round_inputs_f4.npy")
	for _, c := range []struct {
		file   string
		narrow func(float32) uint16
	}{
		{"round_f16_bits_i4.npy", Float32ToFloat16},
		{"round_bf16_bits_i4.npy", Float32ToBFloat16},
	} {
		want := readFixture(t, c.file)
		if len(want.I32) != len(in.F32) {
			t.Fatalf("%s has %d entries for %d inputs", c.file, len(want.I32), len(in.F32))
		}
		bad := 0
		for i, f := range in.F32 {
			if got := c.narrow(f); got != uint16(want.I32[i]) {
				if bad++; bad <= 5 {
					t.Errorf("%s: %g (bits %#08x) -> %#04x, reference %#04x", c.file, f, math.Float32bits(f), got, uint16(want.I32[i]))
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d conversions differ", c.file, bad, len(in.F32))
		}
	}
}

func TestNarrowingEdgeCases(t *testing.T) {
	cases := []struct {
		f    float32
		half uint16
	}{
		{65519.99, 0x7bff},
		{65520, 0x7c00}, // halfway to the next binade rounds to infinity
		{1 + 1.0/(1<<11), 0x3c00},
		{1 + 3.0/(1<<11), 0x3c02},
		{1.0 / (1 << 25), 0},      // half of the smallest subnormal: ties to even (0)
		{3.0 / (1 << 26), 0x0001}, // above the tie
		{float32(math.Copysign(0, -1)), 0x8000},
		{1e-40, 0},
	}
	for _, c := range cases {
		if got := Float32ToFloat16(c.f); got != c.half {
			t.Errorf("Float32ToFloat16(%g) = %#04x, want %#04x", c.f, got, c.half)
		}
	}
	if got := Float32ToBFloat16(float32(math.NaN())); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("bfloat16 NaN = %#04x", got)
	}
	if got := Float32ToBFloat16(math.MaxFloat32); got != 0x7f80 {
		t.Errorf("bfloat16 of MaxFloat32 = %#04x, want +Inf", got)
	}
}
