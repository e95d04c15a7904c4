package tensor

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

func le16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return b
}

func TestFromONNXEveryType(t *testing.T) {
	type want struct {
		dtype DType
		f32   []float32
		f64   []float64
		i64   []int64
		i32   []int32
		i8    []int8
		u8    []uint8
		bools []bool
	}
	cases := []struct {
		name string
		in   *onnx.Tensor
		want want
	}{
		{"float raw", &onnx.Tensor{DataType: onnx.Float, RawData: binary.LittleEndian.AppendUint32(nil, math.Float32bits(2.5))}, want{dtype: Float32, f32: []float32{2.5}}},
		{"float typed", &onnx.Tensor{DataType: onnx.Float, FloatData: []float32{-1}}, want{dtype: Float32, f32: []float32{-1}}},
		{"double typed", &onnx.Tensor{DataType: onnx.Double, DoubleData: []float64{math.Pi}}, want{dtype: Float64, f64: []float64{math.Pi}}},
		{"double raw", &onnx.Tensor{DataType: onnx.Double, RawData: binary.LittleEndian.AppendUint64(nil, math.Float64bits(-2))}, want{dtype: Float64, f64: []float64{-2}}},
		{"float16 raw", &onnx.Tensor{DataType: onnx.Float16, RawData: le16(0x3c00)}, want{dtype: Float32, f32: []float32{1}}},
		{"float16 typed", &onnx.Tensor{DataType: onnx.Float16, Int32Data: []int32{0xc100}}, want{dtype: Float32, f32: []float32{-2.5}}},
		{"bfloat16 raw", &onnx.Tensor{DataType: onnx.BFloat16, RawData: le16(0x3fc0)}, want{dtype: Float32, f32: []float32{1.5}}},
		{"bfloat16 typed", &onnx.Tensor{DataType: onnx.BFloat16, Int32Data: []int32{0xbf80}}, want{dtype: Float32, f32: []float32{-1}}},
		{"int8 raw", &onnx.Tensor{DataType: onnx.Int8, RawData: []byte{0xff}}, want{dtype: Int8, i8: []int8{-1}}},
		{"int8 typed", &onnx.Tensor{DataType: onnx.Int8, Int32Data: []int32{-128}}, want{dtype: Int8, i8: []int8{-128}}},
		{"uint8 raw", &onnx.Tensor{DataType: onnx.Uint8, RawData: []byte{200}}, want{dtype: Uint8, u8: []uint8{200}}},
		{"uint8 typed", &onnx.Tensor{DataType: onnx.Uint8, Int32Data: []int32{255}}, want{dtype: Uint8, u8: []uint8{255}}},
		{"int16 raw", &onnx.Tensor{DataType: onnx.Int16, RawData: le16(0x8000)}, want{dtype: Int64, i64: []int64{-32768}}},
		{"int16 typed", &onnx.Tensor{DataType: onnx.Int16, Int32Data: []int32{-5}}, want{dtype: Int64, i64: []int64{-5}}},
		{"uint16 raw", &onnx.Tensor{DataType: onnx.Uint16, RawData: le16(0xffff)}, want{dtype: Int64, i64: []int64{65535}}},
		{"uint16 typed", &onnx.Tensor{DataType: onnx.Uint16, Int32Data: []int32{65535}}, want{dtype: Int64, i64: []int64{65535}}},
		{"int32 raw", &onnx.Tensor{DataType: onnx.Int32, RawData: []byte{0xfe, 0xff, 0xff, 0xff}}, want{dtype: Int32, i32: []int32{-2}}},
		{"int32 typed", &onnx.Tensor{DataType: onnx.Int32, Int32Data: []int32{math.MinInt32}}, want{dtype: Int32, i32: []int32{math.MinInt32}}},
		{"int64 raw", &onnx.Tensor{DataType: onnx.Int64, RawData: binary.LittleEndian.AppendUint64(nil, 1<<40)}, want{dtype: Int64, i64: []int64{1 << 40}}},
		{"int64 typed", &onnx.Tensor{DataType: onnx.Int64, Int64Data: []int64{math.MinInt64}}, want{dtype: Int64, i64: []int64{math.MinInt64}}},
		{"uint32 raw", &onnx.Tensor{DataType: onnx.Uint32, RawData: []byte{0xff, 0xff, 0xff, 0xff}}, want{dtype: Int64, i64: []int64{math.MaxUint32}}},
		{"uint32 typed", &onnx.Tensor{DataType: onnx.Uint32, Uint64Data: []uint64{7}}, want{dtype: Int64, i64: []int64{7}}},
		{"uint64 raw", &onnx.Tensor{DataType: onnx.Uint64, RawData: binary.LittleEndian.AppendUint64(nil, math.MaxInt64)}, want{dtype: Int64, i64: []int64{math.MaxInt64}}},
		{"uint64 typed", &onnx.Tensor{DataType: onnx.Uint64, Uint64Data: []uint64{3}}, want{dtype: Int64, i64: []int64{3}}},
		{"bool raw", &onnx.Tensor{DataType: onnx.Bool, RawData: []byte{1}}, want{dtype: Bool, bools: []bool{true}}},
		{"bool typed", &onnx.Tensor{DataType: onnx.Bool, Int32Data: []int32{0}}, want{dtype: Bool, bools: []bool{false}}},
	}
	for _, c := range cases {
		got, err := FromONNX(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		w := c.want
		if got.DType != w.dtype || len(got.Shape) != 0 || !slices.Equal(got.F32, w.f32) || !slices.Equal(got.F64, w.f64) ||
			!slices.Equal(got.I64, w.i64) || !slices.Equal(got.I32, w.i32) || !slices.Equal(got.I8, w.i8) ||
			!slices.Equal(got.U8, w.u8) || !slices.Equal(got.Bool, w.bools) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, w)
		}
	}
}

func TestInt4PackingBothWays(t *testing.T) {
	// values -8, 7, -1, 0, 5: nibbles 8,7 | f,0 | 5,pad
	in := &onnx.Tensor{DataType: onnx.Int4, Dims: []int64{5}, RawData: []byte{0x78, 0x0f, 0x05}}
	x, err := FromONNX(in)
	if err != nil {
		t.Fatal(err)
	}
	if x.DType != Int4 || !slices.Equal(x.I8, []int8{-8, 7, -1, 0, 5}) {
		t.Fatalf("int4 decoded as %v %v", x.DType, x.I8)
	}
	typed, err := FromONNX(&onnx.Tensor{DataType: onnx.Int4, Dims: []int64{5}, Int32Data: []int32{0x78, 0x0f, 0x05}})
	if err != nil || !slices.Equal(typed.I8, x.I8) {
		t.Fatalf("int4 from int32_data: %v %v", typed, err)
	}
	out, err := ToONNX(x, "w")
	if err != nil {
		t.Fatal(err)
	}
	if out.DataType != onnx.Int4 || !bytes.Equal(out.RawData, in.RawData) || !slices.Equal(out.Dims, []int64{5}) {
		t.Errorf("int4 re-encoded as %v % x dims %v", out.DataType, out.RawData, out.Dims)
	}

	u, err := FromONNX(&onnx.Tensor{DataType: onnx.Uint4, Dims: []int64{2, 2}, RawData: []byte{0xf0, 0x21}})
	if err != nil || u.DType != Uint4 || !slices.Equal(u.U8, []uint8{0, 15, 1, 2}) {
		t.Fatalf("uint4 decoded as %+v, %v", u, err)
	}
	if out, err := ToONNX(u, "u"); err != nil || !bytes.Equal(out.RawData, []byte{0xf0, 0x21}) {
		t.Errorf("uint4 re-encoded as % x, %v", out.RawData, err)
	}

	if _, err := ToONNX(&Tensor{DType: Int4, Shape: []int{1}, I8: []int8{8}}, "big"); err == nil || !strings.Contains(err.Error(), "outside int4's range") {
		t.Errorf("out-of-range int4: %v", err)
	}
	if _, err := FromONNX(&onnx.Tensor{DataType: onnx.Int4, Dims: []int64{5}, RawData: []byte{1, 2}}); err == nil || !strings.Contains(err.Error(), "need 3") {
		t.Errorf("short int4 data: %v", err)
	}
}

func TestToONNXRoundTrip(t *testing.T) {
	for _, x := range []*Tensor{
		FromF32([]int{2, 3}, []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))}),
		{DType: Float64, Shape: []int{1}, F64: []float64{math.E}},
		FromI64([]int{2}, []int64{math.MinInt64, math.MaxInt64}),
		{DType: Int32, Shape: []int{}, I32: []int32{-7}},
		{DType: Int8, Shape: []int{2}, I8: []int8{-128, 127}},
		{DType: Uint8, Shape: []int{2}, U8: []uint8{0, 255}},
		{DType: Bool, Shape: []int{3}, Bool: []bool{true, false, true}},
		{DType: Float32, Shape: []int{0, 4}, F32: []float32{}},
	} {
		p, err := ToONNX(x, "x")
		if err != nil {
			t.Fatal(err)
		}
		// through the wire as well, to catch anything Encode would drop
		b, err := onnx.EncodeTensor(p)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := onnx.DecodeTensor(b)
		if err != nil {
			t.Fatal(err)
		}
		y, err := FromONNX(p2)
		if err != nil {
			t.Fatal(err)
		}
		if y.DType != x.DType || !slices.Equal(y.Shape, x.Shape) || !sameValues(x, y) || p2.Name != "x" {
			t.Errorf("%v round trip: %+v -> %+v", x.DType, x, y)
		}
	}
	if _, err := ToONNX(&Tensor{DType: Float32, Shape: []int{2}, F32: []float32{1}}, "bad"); err == nil || !strings.Contains(err.Error(), "needs 2 values") {
		t.Errorf("inconsistent tensor: %v", err)
	}
}

func TestFromONNXErrors(t *testing.T) {
	cases := []struct {
		in   *onnx.Tensor
		want string
	}{
		{&onnx.Tensor{Name: "s", DataType: onnx.String, StringData: [][]byte{[]byte("a")}}, "STRING tensors are not supported"},
		{&onnx.Tensor{Name: "f8", DataType: onnx.Float8E4M3FN, RawData: []byte{1}}, "FLOAT8E4M3FN is not supported"},
		{&onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{3}, RawData: make([]byte, 8)}, "raw_data has 8 bytes but dims [3] of FLOAT need 3×4"},
		{&onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{3}, FloatData: []float32{1}}, "holds 1 values but dims [3] need 3"},
		{&onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{2}}, "raw_data has 0 bytes"},
		{&onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{-1}}, "must not be negative"},
		{&onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{1 << 40, 1 << 40}}, "more than"},
		{&onnx.Tensor{Name: "w", DataType: onnx.Float, DataLocation: onnx.LocationExternal}, "external file"},
		{&onnx.Tensor{Name: "u", DataType: onnx.Uint64, Uint64Data: []uint64{math.MaxUint64}}, "does not fit"},
	}
	for _, c := range cases {
		if _, err := FromONNX(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to contain %q", err, c.want)
		}
	}
}

// TestFromONNXConformanceData converts every input and output tensor of the
// ONNX backend tests in the shared assets, and checks ToONNX reproduces the
// raw bytes of those whose type maps to itself.
func TestFromONNXConformanceData(t *testing.T) {
	root := "../../../shared/assets/conformance/onnx-node"
	if _, err := os.Stat(root); err != nil {
		t.Skipf("shared test assets not found at %s (a fresh clone without ../shared): %v", root, err)
	}
	converted, refused, rawSame := 0, map[onnx.DataType]int{}, 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".pb") {
			return err
		}
		// These hold a SequenceProto / OptionalProto, not a TensorProto.
		if strings.Contains(path, "test_identity_opt") || strings.Contains(path, "test_identity_sequence") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		p, err := onnx.DecodeTensor(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		x, err := FromONNX(p)
		if err != nil {
			switch p.DataType {
			case onnx.String, onnx.Int2, onnx.Uint2, onnx.Float8E8M0, onnx.Float8E4M3FN, onnx.Float8E4M3FNUZ, onnx.Float8E5M2, onnx.Float8E5M2FNUZ, onnx.Complex64, onnx.Complex128, onnx.Float4E2M1:
				refused[p.DataType]++
			default:
				t.Errorf("%s: %v", path, err)
			}
			return nil
		}
		converted++
		if len(p.RawData) > 0 && DType(p.DataType) == x.DType {
			back, err := ToONNX(x, p.Name)
			if err != nil {
				t.Errorf("%s: ToONNX: %v", path, err)
			} else if !bytes.Equal(back.RawData, p.RawData) {
				t.Errorf("%s: ToONNX changed the raw bytes", path)
			} else {
				rawSame++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if converted == 0 {
		t.Fatal("no conformance tensors found")
	}
	t.Logf("converted %d tensors (%d raw byte-identical through ToONNX); refused by type: %v", converted, rawSame, refused)
}
