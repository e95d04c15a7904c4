//go:build !wasm

package qil

// clampTo is min(max(a, 0), t) for the calibration search: natively the
// builtins compile to branch-free instructions, faster than comparisons
// on data that falls on either side at random (clamp_wasm.go).
func clampTo(a, t float64) float64 { return min(max(a, 0), t) }
