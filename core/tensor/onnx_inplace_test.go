package tensor

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"unsafe"

	"github.com/pare-ml/pare/core/onnx"
)

// TestFromONNXInPlace: aligned float32 raw_data becomes the tensor's
// storage (on a little-endian machine), anything else is converted as
// FromONNX converts it, with the same values and errors; FromONNXView
// (shape inference's read-only constants) the same.
func TestFromONNXInPlace(t *testing.T) {
	for name, convert := range map[string]func(*onnx.Tensor) (*Tensor, error){"FromONNXInPlace": FromONNXInPlace, "FromONNXView": FromONNXView} {
		t.Run(name, func(t *testing.T) { testAliasedConversion(t, convert) })
	}
}

func testAliasedConversion(t *testing.T, convert func(*onnx.Tensor) (*Tensor, error)) {
	words := make([]uint64, 4) // 8-byte aligned storage
	buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), 32)
	for i := range 7 {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(i)-2.5))
	}
	same := func(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }
	cases := []struct {
		name   string
		t      *onnx.Tensor
		shared bool
	}{
		{"aligned", &onnx.Tensor{Name: "a", DataType: onnx.Float, Dims: []int64{2, 3}, RawData: buf[4:28]}, littleEndian},
		{"misaligned", &onnx.Tensor{Name: "m", DataType: onnx.Float, Dims: []int64{6}, RawData: buf[1:25]}, false},
		{"typed field", &onnx.Tensor{Name: "f", DataType: onnx.Float, Dims: []int64{2}, FloatData: []float32{1, 2}}, false},
		{"int64", &onnx.Tensor{Name: "i", DataType: onnx.Int64, Dims: []int64{3}, RawData: buf[8:32]}, false},
		{"short", &onnx.Tensor{Name: "s", DataType: onnx.Float, Dims: []int64{7}, RawData: buf[4:28]}, false},
	}
	for _, c := range cases {
		want, wantErr := FromONNX(c.t)
		got, err := convert(c.t)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%s: error %v, FromONNX's %v", c.name, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, FromONNX gives %+v", c.name, got, want)
		}
		shared := got.DType == Float32 && len(got.F32) > 0 &&
			same(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(got.F32))), 4*len(got.F32)), c.t.RawData)
		if shared != c.shared {
			t.Errorf("%s: shares raw_data: %v, want %v", c.name, shared, c.shared)
		}
	}
}
