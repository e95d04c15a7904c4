package onnx

import "testing"

func TestDefaultDomain(t *testing.T) {
	for _, c := range []struct {
		domain, canonical, display, op string
		isDefault                      bool
	}{
		{"", "", "ai.onnx", "Conv", true},
		{"ai.onnx", "", "ai.onnx", "Conv", true},
		{"ai.onnx.ml", "ai.onnx.ml", "ai.onnx.ml", "ai.onnx.ml.Conv", false},
		{"com.microsoft", "com.microsoft", "com.microsoft", "com.microsoft.Conv", false},
	} {
		if got := IsDefaultDomain(c.domain); got != c.isDefault {
			t.Errorf("IsDefaultDomain(%q) = %v", c.domain, got)
		}
		if got := CanonicalDomain(c.domain); got != c.canonical {
			t.Errorf("CanonicalDomain(%q) = %q, want %q", c.domain, got, c.canonical)
		}
		if got := DisplayDomain(c.domain); got != c.display {
			t.Errorf("DisplayDomain(%q) = %q, want %q", c.domain, got, c.display)
		}
		if got := OpName(c.domain, "Conv"); got != c.op {
			t.Errorf("OpName(%q, Conv) = %q, want %q", c.domain, got, c.op)
		}
	}
}
