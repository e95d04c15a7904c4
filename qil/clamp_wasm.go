//go:build wasm

package qil

// clampTo is min(max(a, 0), t) for the calibration search. In wasm, Go's
// float min and max, which order -0 and NaN, are runtime calls (most of a
// page's calibration time); two comparisons give the same result for
// these values: NaN stays NaN, and -0 stays -0, whose error in
// mseThreshold is 0 as +0's is (TestClampByComparisonsGivesTheSameError).
func clampTo(a, t float64) float64 { return clampByComparisons(a, t) }
