package exec

import "github.com/pare-ml/pare/core/onnx"

// NewSessionUnfusedQDQ is a run-only session that leaves QuantizeLinear ->
// DequantizeLinear chains unfused, for the external benchmarks and tests
// that compare it with the fused plan.
func NewSessionUnfusedQDQ(m *onnx.Model) (*Session, error) {
	return NewSessionWith(m, SessionOptions{RunOnly: true, noFakeQuant: true})
}

// NewSessionFloatConvQDQ is a run-only session with the fake-quant fusion
// but every Conv in float (no integer convolutions, qconv.go): the fused
// plan that is the unfused one's bits.
func NewSessionFloatConvQDQ(m *onnx.Model) (*Session, error) {
	return NewSessionWith(m, SessionOptions{RunOnly: true, noIntegerConv: true})
}

// IntegerConvSteps counts the steps of s's plan that multiply in integers.
func IntegerConvSteps(s *Session) int {
	n := 0
	for _, st := range s.fused {
		if st.conv != nil && st.conv.integer != nil {
			n++
		}
	}
	return n
}
