package tensor_test

import (
	"bytes"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/hostile"
)

// suiteFiles holds the hostile suite's files, generated once per test
// binary for both fuzz targets.
var suiteFiles = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "pare-fuzz-seeds-")
	if err != nil {
		return "", err
	}
	_, err = hostile.Write(dir, false)
	return dir, err
})

// seeds adds the hostile suite's files with these extensions to f.
func seeds(f *testing.F, exts ...string) {
	dir, err := suiteFiles()
	if err != nil {
		f.Fatal(err)
	}
	data, err := hostile.Seeds(dir, exts...)
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range data {
		f.Add(d)
	}
}

// TestMain removes the generated seed files.
func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := suiteFiles(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// consistent checks what a reader accepted: one data slice of the shape's
// length, within the size cap.
func consistent(t *testing.T, x *tensor.Tensor) {
	n, err := tensor.CheckSize(x.DType, x.Shape, 0)
	if err != nil {
		t.Fatalf("accepted a tensor CheckSize refuses: %v", err)
	}
	lens := []int{len(x.F32), len(x.F64), len(x.I64), len(x.I32), len(x.I8), len(x.U8), len(x.Bool)}
	total := 0
	for _, l := range lens {
		total += l
	}
	if total != n {
		t.Fatalf("%v %v holds %d values, want %d", x.DType, x.Shape, total, n)
	}
}

// FuzzNpyRoundTrip checks, from the hostile suite's .npy files, that
// ReadNpy never panics or over-allocates, that what it accepts is
// consistent, and that WriteNpy of it reads back equal.
func FuzzNpyRoundTrip(f *testing.F) {
	seeds(f, ".npy")
	var b bytes.Buffer
	if err := tensor.WriteNpy(&b, tensor.FromF32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := tensor.ReadNpy(bytes.NewReader(data))
		if err != nil {
			return
		}
		consistent(t, x)
		var out bytes.Buffer
		if err := tensor.WriteNpy(&out, x); err != nil {
			return // a dtype WriteNpy does not write (Int4) is fine to refuse
		}
		y, err := tensor.ReadNpy(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("WriteNpy output does not read back: %v", err)
		}
		if y.DType != x.DType || !slices.Equal(x.Shape, y.Shape) {
			t.Fatalf("round trip changed %v %v to %v %v", x.DType, x.Shape, y.DType, y.Shape)
		}
	})
}

// FuzzTensorProto checks that a serialized TensorProto (the .pb inputs of
// pare run) decodes and converts without panicking, and that an accepted
// tensor re-encodes and converts back to the same shape.
func FuzzTensorProto(f *testing.F) {
	seeds(f, ".pb")
	pt, err := tensor.ToONNX(tensor.FromI64([]int{3}, []int64{1, -2, 3}), "x")
	if err != nil {
		f.Fatal(err)
	}
	enc, err := onnx.EncodeTensor(pt)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := onnx.DecodeTensor(data)
		if err != nil {
			return
		}
		x, err := tensor.FromONNX(pt)
		if err != nil {
			return
		}
		consistent(t, x)
		back, err := tensor.ToONNX(x, "x")
		if err != nil {
			return
		}
		y, err := tensor.FromONNX(back)
		if err != nil {
			t.Fatalf("ToONNX output does not convert back: %v", err)
		}
		if !slices.Equal(x.Shape, y.Shape) {
			t.Fatalf("round trip changed shape %v to %v", x.Shape, y.Shape)
		}
	})
}
