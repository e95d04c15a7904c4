package tensor

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func readFixture(t testing.TB, name string) *Tensor {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := ReadNpy(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x
}

var f4Fixture = []float32{-1, -0.5, 0, 0.5, 1, 1.5}

func TestReadNpyFixtures(t *testing.T) {
	for _, name := range []string{"f4_2x3.npy", "be_f4_2x3.npy", "v2_f4_2x3.npy", "v3_f4_2x3.npy"} {
		x := readFixture(t, name)
		if x.DType != Float32 || !slices.Equal(x.Shape, []int{2, 3}) || !slices.Equal(x.F32, f4Fixture) {
			t.Errorf("%s: %v %v %v", name, x.DType, x.Shape, x.F32)
		}
	}
	if x := readFixture(t, "f8_vec.npy"); x.DType != Float64 || x.F64[0] != math.Pi || !math.Signbit(x.F64[1]) || !math.IsInf(x.F64[2], 1) || x.F64[3] != 1e-300 {
		t.Errorf("f8_vec: %v", x.F64)
	}
	x := readFixture(t, "i8_2x3x4.npy")
	if x.DType != Int64 || !slices.Equal(x.Shape, []int{2, 3, 4}) || x.I64[0] != -12 || x.I64[23] != 11 {
		t.Errorf("i8_2x3x4: %v %v", x.Shape, x.I64)
	}
	if x := readFixture(t, "i4_vec.npy"); x.DType != Int32 || !slices.Equal(x.I32, []int32{math.MinInt32, -1, 0, math.MaxInt32}) {
		t.Errorf("i4_vec: %v", x.I32)
	}
	if x := readFixture(t, "i1_vec.npy"); x.DType != Int8 || !slices.Equal(x.I8, []int8{-128, -1, 0, 127}) {
		t.Errorf("i1_vec: %v", x.I8)
	}
	if x := readFixture(t, "u1_2x2.npy"); x.DType != Uint8 || !slices.Equal(x.U8, []uint8{0, 1, 254, 255}) {
		t.Errorf("u1_2x2: %v", x.U8)
	}
	if x := readFixture(t, "b1_vec.npy"); x.DType != Bool || !slices.Equal(x.Bool, []bool{true, false, true}) {
		t.Errorf("b1_vec: %v", x.Bool)
	}
	if x := readFixture(t, "scalar_f4.npy"); len(x.Shape) != 0 || !slices.Equal(x.F32, []float32{3.5}) {
		t.Errorf("scalar_f4: shape %v values %v", x.Shape, x.F32)
	}
	if x := readFixture(t, "empty_0x3_f4.npy"); !slices.Equal(x.Shape, []int{0, 3}) || len(x.F32) != 0 {
		t.Errorf("empty_0x3_f4: shape %v values %v", x.Shape, x.F32)
	}
	if x := readFixture(t, "be_i8_vec.npy"); !slices.Equal(x.I64, []int64{1, -2, 1 << 40}) {
		t.Errorf("be_i8_vec: %v", x.I64)
	}
	if x := readFixture(t, "f2_vec.npy"); x.DType != Float32 || !slices.Equal(x.F32, []float32{1, -2.5, 65504, 1.0 / (1 << 24)}) {
		t.Errorf("f2_vec: %v", x.F32)
	}
	if x := readFixture(t, "i2_vec.npy"); x.DType != Int64 || !slices.Equal(x.I64, []int64{-32768, 32767}) {
		t.Errorf("i2_vec: %v", x.I64)
	}
	if x := readFixture(t, "u2_vec.npy"); !slices.Equal(x.I64, []int64{0, 65535}) {
		t.Errorf("u2_vec: %v", x.I64)
	}
	if x := readFixture(t, "u4_vec.npy"); !slices.Equal(x.I64, []int64{0, 4294967295}) {
		t.Errorf("u4_vec: %v", x.I64)
	}
}

func TestReadNpyFortranRefused(t *testing.T) {
	f, err := os.Open("testdata/fortran_f4_2x3.npy")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ReadNpy(f); err == nil || !strings.Contains(err.Error(), "Fortran-order") {
		t.Errorf("fortran-order file: %v", err)
	}
}

// TestWriteNpyMatchesNumPy checks WriteNpy writes the very bytes numpy.save
// wrote for the same arrays.
func TestWriteNpyMatchesNumPy(t *testing.T) {
	for _, name := range []string{"f4_2x3.npy", "f8_vec.npy", "i8_2x3x4.npy", "i4_vec.npy", "i1_vec.npy",
		"u1_2x2.npy", "b1_vec.npy", "scalar_f4.npy", "empty_0x3_f4.npy", "round_inputs_f4.npy"} {
		want, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		x, err := ReadNpy(bytes.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := WriteNpy(&got, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: WriteNpy wrote\n%q\nnumpy wrote\n%q", name, got.Bytes()[:min(got.Len(), 128)], want[:min(len(want), 128)])
		}
	}
}

func TestReadNpyErrors(t *testing.T) {
	header := func(dict string) string {
		pad := 64 - (10+len(dict)+1)%64
		l := len(dict) + 1 + pad
		return npyMagic + "\x01\x00" + string([]byte{byte(l), byte(l >> 8)}) + dict + strings.Repeat(" ", pad) + "\n"
	}
	cases := map[string]string{
		"not a .npy file":          "PK\x03\x04 zip file",
		"version 4.0":              npyMagic + "\x04\x00",
		"reading the magic":        "\x93NUM",
		"needs 400 data bytes":     header("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 10), }") + "short",
		"dtype \"<c8\"":            header("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"),
		"structured dtypes":        header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
		"key \"shape\" is missing": header("{'descr': '<f4', 'fortran_order': False, }"),
		"too large":                header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
		"non-negative integer":     header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
		"larger than":              npyMagic + "\x02\x00\xff\xff\xff\xff",
		"not 0 or 1":               header("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }") + "\x07",
	}
	for want, data := range cases {
		_, err := ReadNpy(strings.NewReader(data))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to mention %q", err, want)
		}
	}
}

func TestNpyRoundTripAllDTypes(t *testing.T) {
	for _, x := range []*Tensor{
		FromF32([]int{2, 2}, []float32{1, -2, float32(math.Inf(1)), 0}),
		{DType: Float64, Shape: []int{1}, F64: []float64{math.E}},
		FromI64([]int{3}, []int64{math.MinInt64, 0, math.MaxInt64}),
		{DType: Int32, Shape: []int{}, I32: []int32{-5}},
		{DType: Int8, Shape: []int{2}, I8: []int8{-8, 7}},
		{DType: Uint8, Shape: []int{2}, U8: []uint8{0, 200}},
		{DType: Bool, Shape: []int{2, 1}, Bool: []bool{false, true}},
	} {
		var buf bytes.Buffer
		if err := WriteNpy(&buf, x); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%64 != (x.Len()*elemSize(x.DType))%64 {
			t.Errorf("%v: header not padded to 64 bytes", x.DType)
		}
		y, err := ReadNpy(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if y.DType != x.DType || !slices.Equal(y.Shape, x.Shape) || !sameValues(x, y) {
			t.Errorf("%v round trip: %+v -> %+v", x.DType, x, y)
		}
	}
	bad := &Tensor{DType: Float32, Shape: []int{3}, F32: []float32{1}}
	if err := WriteNpy(&bytes.Buffer{}, bad); err == nil || !strings.Contains(err.Error(), "needs 3 values") {
		t.Errorf("inconsistent tensor: %v", err)
	}
}

func elemSize(dt DType) int {
	switch dt {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	}
	return 1
}

func sameValues(a, b *Tensor) bool {
	return slices.Equal(a.F32, b.F32) && slices.Equal(a.F64, b.F64) && slices.Equal(a.I64, b.I64) &&
		slices.Equal(a.I32, b.I32) && slices.Equal(a.I8, b.I8) && slices.Equal(a.U8, b.U8) && slices.Equal(a.Bool, b.Bool)
}

// FuzzReadNpy checks ReadNpy never panics and that whatever it accepts
// survives a WriteNpy/ReadNpy round trip.
func FuzzReadNpy(f *testing.F) {
	names, _ := filepath.Glob("testdata/*.npy")
	for _, name := range names {
		if data, err := os.ReadFile(name); err == nil && len(data) < 4096 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ReadNpy(bytes.NewReader(data))
		if err != nil {
			return
		}
		if x.Len() != len(x.F32)+len(x.F64)+len(x.I64)+len(x.I32)+len(x.I8)+len(x.U8)+len(x.Bool) {
			t.Fatalf("shape %v but %d values", x.Shape, x.Len())
		}
		var buf bytes.Buffer
		if err := WriteNpy(&buf, x); err != nil {
			t.Fatal(err)
		}
		y, err := ReadNpy(&buf)
		if err != nil {
			t.Fatalf("own output unreadable: %v", err)
		}
		if y.DType != x.DType || !slices.Equal(y.Shape, x.Shape) {
			t.Fatalf("round trip changed %v%v to %v%v", x.DType, x.Shape, y.DType, y.Shape)
		}
	})
}

// A reader that fails while the array's bytes are read was once reported
// as "the file ends after N", sending the user after a truncated file that
// is not there; the cause must come through.
func TestReadNpyKeepsIOErrors(t *testing.T) {
	var file bytes.Buffer
	if err := WriteNpy(&file, FromF32([]int{4}, []float32{1, 2, 3, 4})); err != nil {
		t.Fatal(err)
	}
	full := file.Bytes()
	failing := io.MultiReader(bytes.NewReader(full[:len(full)-4]), iotest.ErrReader(errDiskGone))
	_, err := ReadNpy(failing)
	if !errors.Is(err, errDiskGone) {
		t.Errorf("err = %v, want it to wrap %v", err, errDiskGone)
	}
	_, err = ReadNpy(bytes.NewReader(full[:len(full)-4]))
	if err == nil || !strings.Contains(err.Error(), "ends after 12") {
		t.Errorf("truncated: err = %v, want it to say the file ends after 12 bytes", err)
	}
}

var errDiskGone = errors.New("disk unplugged")
