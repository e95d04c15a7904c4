package hostile

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// npyFile builds a .npy file from a header dictionary and payload, with the
// header length given (or computed when hdrLen < 0).
func npyFile(major byte, dict string, hdrLen int, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	h := dict
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	n := hdrLen
	if n < 0 {
		n = len(h)
	}
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(n))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(n))
	}
	b.WriteString(h)
	b.Write(payload)
	return b.Bytes()
}

func npyDict(descr, shape string) string {
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
}

func encodeTensor(t *onnx.Tensor) []byte {
	b, err := onnx.EncodeTensor(t)
	if err != nil {
		panic(fmt.Sprintf("hostile: encoding a generated tensor: %v", err))
	}
	return b
}

// tensors adds pare run cases whose input file is hostile.
func (w *writer) tensors() {
	model := w.validModel()
	run := func(name, file string, want ...string) {
		w.add(Case{Name: "run/input/" + name, Args: []string{"run", model, "-i", "x=" + file, "-o", w.path("out/input-" + name)}, Want: want})
	}
	f32 := make([]byte, 4*baseSide*baseSide)
	good := npyDict("<f4", "(1, 1, 4, 4)")

	run("npy-empty", w.file("in/empty.npy", nil), "npy")
	run("npy-magic-only", w.file("in/magic.npy", []byte("\x93NUMPY")), "npy")
	run("npy-version-9", w.file("in/v9.npy", npyFile(9, good, -1, f32)), "version")
	run("npy-header-len-huge", w.file("in/hdrhuge.npy", npyFile(2, good, 1<<31, f32)), "header")
	run("npy-header-len-past-end", w.file("in/hdrpast.npy", npyFile(1, good, 60000, f32)), "header")
	run("npy-header-garbage", w.file("in/hdrjunk.npy", npyFile(1, "{'descr': <f4, shape: ((((", -1, f32)), "header")
	run("npy-shape-huge", w.file("in/shapehuge.npy", npyFile(1, npyDict("<f4", "(1048576, 1048576, 1048576)"), -1, f32)), "shape")
	run("npy-shape-overflow", w.file("in/shapeover.npy", npyFile(1, npyDict("<f4", "(4294967296, 4294967296, 4294967296)"), -1, f32)), "shape")
	run("npy-shape-negative", w.file("in/shapeneg.npy", npyFile(1, npyDict("<f4", "(1, -1, 4, 4)"), -1, f32)), "shape")
	run("npy-shape-junk", w.file("in/shapejunk.npy", npyFile(1, npyDict("<f4", "(1, 'a', 4)"), -1, f32)), "shape")
	run("npy-data-short", w.file("in/short.npy", npyFile(1, good, -1, f32[:10])), "bytes")
	run("npy-data-long", w.file("in/long.npy", npyFile(1, good, -1, append(bytes.Clone(f32), 1, 2, 3, 4))), "bytes")
	run("npy-descr-object", w.file("in/object.npy", npyFile(1, npyDict("|O", "(1, 1, 4, 4)"), -1, f32)), "|O")
	run("npy-descr-unicode", w.file("in/unicode.npy", npyFile(1, npyDict("<U4", "(1, 1, 4, 4)"), -1, f32)), "<U4")
	run("npy-descr-complex", w.file("in/complex.npy", npyFile(1, npyDict("<c8", "(1, 1, 4, 4)"), -1, append(bytes.Clone(f32), f32...))), "<c8")
	run("npy-fortran", w.file("in/fortran.npy", npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 4, 4), }", -1, f32)), "fortran")
	run("npy-wrong-shape", w.file("in/wrongshape.npy", npyFile(1, npyDict("<f4", "(1, 1, 2, 8)"), -1, f32)), "shape")
	run("npy-wrong-dtype", w.file("in/wrongtype.npy", npyFile(1, npyDict("<i8", "(1, 1, 4, 4)"), -1, append(bytes.Clone(f32), f32...))), "int64")
	run("npy-float16", w.file("in/half.npy", npyFile(1, npyDict("<f2", "(1, 1, 4, 4)"), -1, f32[:32])), "")
	w.cases[len(w.cases)-1].MaySucceed = true // float16 widens to float32
	run("npy-named-pb", w.file("in/x.npy.pb", npyFile(1, good, -1, f32)), "")
	w.cases[len(w.cases)-1].MaySucceed = true
	run("missing", w.path("in/none.npy"), "no such file")
	run("folder", w.path("in/folder.npy"), "not a regular file")
	w.fail(mkdirAll(w.path("in/folder.npy")))
	if p := w.fifo("in/fifo.npy"); p != "" {
		run("fifo", p, "not a regular file")
	}
	if w.exists("/dev/zero") {
		run("dev-zero", "/dev/zero", "not a regular file")
	}
	run("huge-file", w.sparse("in/huge.npy", 3<<30), "too large")

	// Serialized TensorProto inputs.
	pb := func(name string, t *onnx.Tensor, want ...string) {
		run("pb-"+name, w.file("in/"+name+".pb", encodeTensor(t)), want...)
	}
	run("pb-random", w.file("in/random.pb", []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2}), "TensorProto")
	pb("dims-huge", &onnx.Tensor{Name: "x", DataType: onnx.Float, Dims: []int64{1 << 30, 1 << 30, 1 << 30}, RawData: f32}, "dims")
	pb("dims-overflow", &onnx.Tensor{Name: "x", DataType: onnx.Float, Dims: []int64{1 << 62, 1 << 62}, RawData: f32}, "dims")
	pb("dims-negative", &onnx.Tensor{Name: "x", DataType: onnx.Float, Dims: []int64{1, -1, 4, 4}, RawData: f32}, "negative")
	pb("raw-short", &onnx.Tensor{Name: "x", DataType: onnx.Float, Dims: []int64{1, 1, 4, 4}, RawData: f32[:9]}, "raw_data")
	pb("string", &onnx.Tensor{Name: "x", DataType: onnx.String, Dims: []int64{1}, StringData: [][]byte{[]byte("hi")}}, "string")
	pb("dtype-unknown", &onnx.Tensor{Name: "x", DataType: 4242, Dims: []int64{1, 1, 4, 4}, RawData: f32}, "4242")
	pb("external", &onnx.Tensor{Name: "x", DataType: onnx.Float, Dims: []int64{1, 1, 4, 4}, DataLocation: onnx.LocationExternal,
		ExternalData: []*onnx.StringEntry{{Key: "location", Value: "/etc/passwd"}}}, "external")
	pb("wrong-shape", &onnx.Tensor{Name: "x", DataType: onnx.Float, Dims: []int64{16}, RawData: f32}, "shape")
	pb("int64", &onnx.Tensor{Name: "x", DataType: onnx.Int64, Dims: []int64{1, 1, 4, 4}, RawData: append(bytes.Clone(f32), f32...)}, "int64")

	// Input names.
	w.add(Case{Name: "run/input/unknown-name", Args: []string{"run", model, "-i", "nope=" + w.validInput(), "-o", w.path("out/unknown")}, Want: []string{"no input"}, Status: 2})
	w.add(Case{Name: "run/input/none-given", Args: []string{"run", model, "-o", w.path("out/none")}, Want: []string{"x"}})
	w.add(Case{Name: "run/input/given-twice", Args: []string{"run", model, "-i", "x=" + w.validInput(), "-i", "x=" + w.validInput(), "-o", w.path("out/twice")}, Want: []string{"twice"}, Status: 2})
	_ = tensor.Float32
}

// sparse makes a file of size bytes that takes no disk space (a hole).
func (w *writer) sparse(name string, size int64) string {
	p := w.path(name)
	if err := truncateTo(p, size); err != nil {
		w.fail(err)
	}
	return p
}
