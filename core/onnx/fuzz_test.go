package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that Decode and DecodeTensor never panic and that
// whatever they accept re-encodes stably: Encode(Decode(x)) decodes again
// and re-encodes to the same bytes. The streaming DecodeReader must agree
// with Decode on every input (stream_test.go's decodeBoth).
func FuzzDecode(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(assetsDir, "models", "*.onnx"))
	for _, p := range paths { // absent assets simply add no seeds
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	if data, err := Encode(everyKindModel()); err == nil {
		f.Add(data)
	}
	f.Add(nestedGraphs(4))
	f.Add([]byte(wireBuilder(nil).varint(1, 8).bytes(7, wireBuilder(nil).bytes(5,
		wireBuilder(nil).bytes(1, packedVarints(1, 2)).fixed32(4, 0).bytes(4, nil).varint(99, 1)))))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, "input", data, func(*Tensor) (bool, error) { return false, nil }, false)
		if m, err := Decode(data); err == nil {
			stable(t, "model", func() ([]byte, error) { return Encode(m) }, func(b []byte) ([]byte, error) {
				m2, err := Decode(b)
				if err != nil {
					return nil, err
				}
				return Encode(m2)
			})
		}
		if tp, err := DecodeTensor(data); err == nil {
			stable(t, "tensor", func() ([]byte, error) { return EncodeTensor(tp) }, func(b []byte) ([]byte, error) {
				t2, err := DecodeTensor(b)
				if err != nil {
					return nil, err
				}
				return EncodeTensor(t2)
			})
		}
	})
}

func stable(t *testing.T, what string, encode func() ([]byte, error), reencode func([]byte) ([]byte, error)) {
	t.Helper()
	once, err := encode()
	if err != nil {
		t.Fatalf("%s decoded but does not encode: %v", what, err)
	}
	twice, err := reencode(once)
	if err != nil {
		t.Fatalf("%s: our own encoding does not decode: %v", what, err)
	}
	if !bytes.Equal(once, twice) {
		t.Fatalf("%s: re-encoding is not stable (first difference at byte %d)", what, firstDiff(once, twice))
	}
}
