//go:build js && wasm && !purego

package nn

import (
	"strings"
	"testing"
)

// TestSIMDTrainPassesRejectBadExtents calls the checked callers directly
// (the exported functions check first) and expects a panic naming the
// operand before the kernel could touch memory outside a slice.
func TestSIMDTrainPassesRejectBadExtents(t *testing.T) {
	if !simdKernels {
		t.Skip("host bound no SIMD kernel")
	}
	f := make([]float32, 64)
	for name, call := range map[string]func(){
		"moments": func() { simdChannelMoments(make([]float64, 3), f, 1, 2, 32) },
		"x":       func() { simdChannelMoments(make([]float64, 4), f[:63], 1, 2, 32) },
		"invStd":  func() { simdChannelGradSums(make([]float64, 4), f, f, f, f[:1], 1, 2, 32) },
		"scale":   func() { simdChannelAffine(f, f, f[:1], f, 1, 2, 32, false) },
		"meanGX":  func() { simdBatchNormInputGrad(f, f, f, f, f, f, f, f[:1], 1, 2, 32) },
		"dx":      func() { simdBatchNormInputGrad(f[:63], f, f, f, f, f, f, f, 1, 2, 32) },
		"g":       func() { simdReluMask(f, f[:63], f) },
		"b":       func() { simdAdd(f, f, f[:63], true) },
	} {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); r == nil || !strings.Contains(msg, name+" has") {
					t.Errorf("%s: panic %v, want one naming %s", name, r, name)
				}
			}()
			call()
		}()
	}
	if simdChannelMoments(make([]float64, 2), f, 0, 1, 1) {
		t.Error("the kernel took an empty batch (its loops run at least once)")
	}
}
