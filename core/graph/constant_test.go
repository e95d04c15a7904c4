package graph

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
	"unsafe"

	"github.com/pare-ml/pare/core/onnx"
)

// TestInferShapesReadsFloatInitializersInPlace: a small float initializer
// whose raw_data is aligned (as onnx.DecodeReader leaves every one) is
// shape inference's constant without a copy, and a rule reading it (Resize's
// scales) reads the right values.
func TestInferShapesReadsFloatInitializersInPlace(t *testing.T) {
	words := make([]uint64, 2) // 8-byte aligned storage
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), 16)
	for i, v := range []float32{1, 1, 2, 3} {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b := newModel(13).input("x", 1, 2, 4, 5).
		node("Resize", []string{"x", "", "scales"}, []string{"y"}, aString("mode", "nearest")).output("y")
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: "scales", DataType: onnx.Float, Dims: []int64{4}, RawData: raw})
	s, err := InferShapes(b.m, nil, miniEval)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Of("y").Dims; !slices.Equal(got, []int{1, 2, 8, 15}) {
		t.Errorf("Resize by scales (1, 1, 2, 3) of 1x2x4x5: %v, want [1 2 8 15]", got)
	}
	c := s.Of("scales").Const
	if c == nil || len(c.F32) != 4 {
		t.Fatalf("scales: constant %v", c)
	}
	littleEndian := *(*byte)(unsafe.Pointer(&[]uint16{1}[0])) == 1
	if shared := unsafe.Pointer(unsafe.SliceData(c.F32)) == unsafe.Pointer(unsafe.SliceData(raw)); shared != littleEndian {
		t.Errorf("scales: shares raw_data: %v, want %v (a copy per small float initializer is the garbage this avoids)", shared, littleEndian)
	}
}
