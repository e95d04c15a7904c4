package exec

import "github.com/pare-ml/pare/core/onnx"

// NewSessionUnfusedQDQ is a run-only session that leaves QuantizeLinear ->
// DequantizeLinear chains unfused, for the external benchmarks and tests
// that compare it with the fused plan.
func NewSessionUnfusedQDQ(m *onnx.Model) (*Session, error) {
	return NewSessionWith(m, SessionOptions{RunOnly: true, noFakeQuant: true})
}
