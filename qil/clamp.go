package qil

// clampByComparisons is min(max(a, 0), t) written as two comparisons:
// the wasm build's clampTo (clamp_wasm.go), here so that every platform's
// tests check it against the builtins.
func clampByComparisons(a, t float64) float64 {
	if a < 0 {
		return 0
	}
	if a > t {
		return t
	}
	return a
}
