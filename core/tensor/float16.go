package tensor

import "math"

// Float16ToFloat32 widens an IEEE 754 binary16 value, given as its bits,
// to float32. Every binary16 value, subnormals and NaN payloads included,
// is exactly representable.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0:
		// zero or subnormal: mant * 2^-24, exact in float32
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(math.Float32bits(v) | sign)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32ToFloat16 narrows f to IEEE 754 binary16 bits, rounding to nearest
// with ties to even; values beyond the binary16 range become infinities and
// NaN stays a (quiet) NaN.
func Float32ToFloat16(f float32) uint16 {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int(bits>>23) & 0xff
	mant := bits & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127
	if e >= 16 {
		return sign | 0x7c00
	}
	if e >= -14 {
		// normal binary16: drop 13 mantissa bits; a carry out of the
		// mantissa correctly bumps the exponent (up to infinity).
		v := uint32(e+15)<<10 | mant>>13
		return sign | uint16(roundEven(v, mant&0x1fff, 13))
	}
	if exp == 0 {
		return sign // float32 subnormals are far below binary16's smallest
	}
	m := mant | 0x800000
	shift := uint(-e - 1) // value in units of 2^-24 is m >> shift
	if shift > 24 {
		return sign
	}
	return sign | uint16(roundEven(m>>shift, m&(1<<shift-1), shift))
}

// roundEven rounds v up by one when the dropped low bits (rest, shift bits
// wide) exceed half a unit, or equal it and v is odd.
func roundEven(v, rest uint32, shift uint) uint32 {
	half := uint32(1) << (shift - 1)
	if rest > half || (rest == half && v&1 == 1) {
		v++
	}
	return v
}

// BFloat16ToFloat32 widens a bfloat16 value, given as its bits, to float32
// (exact: bfloat16 is the top half of a float32).
func BFloat16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}

// Float32ToBFloat16 narrows f to bfloat16 bits, rounding to nearest with
// ties to even; NaN stays a (quiet) NaN.
func Float32ToBFloat16(f float32) uint16 {
	bits := math.Float32bits(f)
	if bits&0x7fffffff > 0x7f800000 {
		return uint16(bits>>16) | 0x40
	}
	return uint16(roundEven(bits>>16, bits&0xffff, 16))
}
