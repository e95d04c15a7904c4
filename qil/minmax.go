package qil

import "math"

// maxOf and minOf are Go's max(m, f) and min(m, f) for float64, bit for
// bit (a NaN wins, max(-0, +0) is +0, min(-0, +0) is -0), written as
// comparisons the compiler inlines. Under wasm the builtins are calls into
// the runtime (runtime.fmax64, runtime.fmin64), which took a third of the
// calibration pass's time over every activation value
// (TestMinMaxOfAreTheBuiltins).
func maxOf(m, f float64) float64 {
	switch {
	case f > m:
		return f
	case f < m:
		return m
	case m != m:
		return m
	case f != f:
		return f
	case math.Signbit(m): // equal: -0 and f, which is -0 or +0
		return f
	}
	return m
}

func minOf(m, f float64) float64 {
	switch {
	case f < m:
		return f
	case f > m:
		return m
	case m != m:
		return m
	case f != f:
		return f
	case math.Signbit(m):
		return m
	}
	return f
}
