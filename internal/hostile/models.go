package hostile

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// The base model: x [1,1,4,4] -> Conv(2 filters 3x3, pads 1) -> Relu ->
// Flatten -> Gemm(10) -> y [1,10], a ten-class classifier small enough to
// run in microseconds.
const (
	baseSide    = 4
	baseClasses = 10
)

func dim(v int64) *onnx.Dimension { return &onnx.Dimension{Value: v, HasValue: true} }

func tensorType(dt onnx.DataType, dims ...int64) *onnx.TypeProto {
	shape := &onnx.TensorShape{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, dim(d))
	}
	return &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: dt, Shape: shape}}
}

func floats(name string, dims []int64, seed uint64) *onnx.Tensor {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32() - 0.5
	}
	return &onnx.Tensor{Name: name, DataType: onnx.Float, Dims: dims, FloatData: v}
}

func intAttr(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func intsAttr(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

// baseModel builds a fresh copy of the base model.
func baseModel() *onnx.Model {
	return &onnx.Model{
		IRVersion:    8,
		ProducerName: "pare-hostile",
		OpsetImport:  []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Name: "base",
			Node: []*onnx.Node{
				{Name: "conv", OpType: "Conv", Input: []string{"x", "w", "b"}, Output: []string{"c"},
					Attribute: []*onnx.Attribute{intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)}},
				{Name: "relu", OpType: "Relu", Input: []string{"c"}, Output: []string{"r"}},
				{Name: "flatten", OpType: "Flatten", Input: []string{"r"}, Output: []string{"f"}},
				{Name: "fc", OpType: "Gemm", Input: []string{"f", "fw", "fb"}, Output: []string{"y"},
					Attribute: []*onnx.Attribute{intAttr("transB", 1)}},
			},
			Initializer: []*onnx.Tensor{
				floats("w", []int64{2, 1, 3, 3}, 1),
				floats("b", []int64{2}, 2),
				floats("fw", []int64{baseClasses, 2 * baseSide * baseSide}, 3),
				floats("fb", []int64{baseClasses}, 4),
			},
			Input:  []*onnx.ValueInfo{{Name: "x", Type: tensorType(onnx.Float, 1, 1, baseSide, baseSide)}},
			Output: []*onnx.ValueInfo{{Name: "y", Type: tensorType(onnx.Float, 1, baseClasses)}},
		},
	}
}

func encode(m *onnx.Model) []byte {
	data, err := onnx.Encode(m)
	if err != nil {
		panic(fmt.Sprintf("hostile: encoding a generated model: %v", err))
	}
	return data
}

// modelCommands are the commands every hostile model goes through.
var modelCommands = []string{"info", "run", "eval", "bench"}

// modelCase adds one case per command for the model file at path; want
// is the text every command's error must contain.
func (w *writer) modelCase(name, path string, cmds []string, c Case) {
	for _, cmd := range cmds {
		cc := c
		cc.Name = "model/" + name + "/" + cmd
		cc.Want = append([]string(nil), c.Want...)
		switch cmd {
		case "info":
			cc.Args = []string{"info", path}
		case "run":
			cc.Args = []string{"run", path, "-i", "x=" + w.validInput(), "-o", w.path("out/" + name)}
		case "eval":
			cc.Args = []string{"eval", path, "--data", w.validData()}
		case "bench":
			cc.Args = []string{"bench", path, "--runs", "2", "--warmup", "0", "--time", "0"}
		case "init":
			cc.Args = []string{"init", path, "-o", w.path("out/" + name + ".onnx")}
		case "finetune":
			cc.Args = []string{"finetune", path, "--data", w.validData(), "--epochs", "1", "--batch", "4", "-o", w.path("out/" + name + ".onnx")}
		}
		w.add(cc)
	}
}

// validInput is a .npy input the base model accepts.
func (w *writer) validInput() string {
	p := w.path("valid/x.npy")
	if !w.exists(p) {
		var buf bytes.Buffer
		t := tensor.New(tensor.Float32, []int{1, 1, baseSide, baseSide})
		for i := range t.F32 {
			t.F32[i] = float32(i) / 16
		}
		w.fail(tensor.WriteNpy(&buf, t))
		w.file("valid/x.npy", buf.Bytes())
	}
	return p
}

// validModel is the base model's file.
func (w *writer) validModel() string {
	p := w.path("valid/model.onnx")
	if !w.exists(p) {
		w.file("valid/model.onnx", encode(baseModel()))
	}
	return p
}

func (w *writer) models() {
	valid := encode(baseModel())
	all := modelCommands

	// Bytes that are not a model.
	w.modelCase("empty", w.file("models/empty.onnx", nil), all, Case{Want: []string{"no graph"}})
	rng := rand.New(rand.NewPCG(8, 8))
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	w.modelCase("random-bytes", w.file("models/random.onnx", junk), all, Case{Want: []string{"not a readable ONNX model"}})
	w.modelCase("text", w.file("models/text.onnx", []byte("<html>404 not found</html>\n")), all, Case{Want: []string{"not a readable ONNX model"}})
	for _, frac := range []int{10, 50, 90, 99} {
		cut := valid[:len(valid)*frac/100]
		w.modelCase(fmt.Sprintf("truncated-%d%%", frac), w.file(fmt.Sprintf("models/truncated%d.onnx", frac), cut), all,
			Case{Want: []string{"model"}})
	}
	for seed := range uint64(6) {
		flipped := bytes.Clone(valid)
		r := rand.New(rand.NewPCG(seed, 99))
		for range 4 {
			i := r.IntN(len(flipped))
			flipped[i] ^= 1 << r.IntN(8)
		}
		w.modelCase(fmt.Sprintf("bitflip-%d", seed), w.file(fmt.Sprintf("models/bitflip%d.onnx", seed), flipped), all, Case{MaySucceed: true})
	}
	w.modelCase("missing", w.path("models/does-not-exist.onnx"), []string{"info", "bench"}, Case{Want: []string{"no such file"}})
	w.modelCase("directory", w.path("models/a-folder.onnx"), []string{"info", "bench"}, Case{Want: []string{"not a regular file"}})
	w.fail(mkdirAll(w.path("models/a-folder.onnx")))
	if p := w.fifo("models/fifo.onnx"); p != "" {
		w.modelCase("fifo", p, []string{"info", "bench"}, Case{Want: []string{"not a regular file"}})
	}
	if w.exists("/dev/zero") {
		w.modelCase("dev-zero", "/dev/zero", []string{"info", "bench"}, Case{Want: []string{"not a regular file"}})
	}

	mutate := func(name string, want []string, cmds []string, edit func(m *onnx.Model)) {
		m := baseModel()
		edit(m)
		w.modelCase(name, w.file("models/"+name+".onnx", encode(m)), cmds, Case{Want: want})
	}
	input := func(m *onnx.Model) *onnx.TensorType { return m.Graph.Input[0].Type.TensorType }
	setDims := func(dims ...int64) func(m *onnx.Model) {
		return func(m *onnx.Model) {
			input(m).Shape.Dim = nil
			for _, d := range dims {
				input(m).Shape.Dim = append(input(m).Shape.Dim, dim(d))
			}
		}
	}
	// Sizes from the model that must be checked before anything is allocated.
	mutate("input-50000x50000", []string{"too large"}, all, setDims(1, 1, 50000, 50000))
	mutate("input-2^31-cubed", []string{"too many elements"}, all, setDims(1<<31, 1<<31, 1<<31))
	mutate("input-maxint64", []string{"9223372036854775807"}, all, setDims(math.MaxInt64, 2))
	// -1 is how some exporters write a dynamic dimension: run, given a
	// concrete input, may succeed; commands that make inputs must say so.
	mutate("input-negative", []string{"-1"}, []string{"info", "eval", "bench"}, setDims(1, -1, 4, 4))
	mutate("input-zero", []string{"0"}, []string{"bench", "eval"}, setDims(1, 0, 4, 4))
	mutate("init-dims-huge", []string{"too large"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[0] = &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{1 << 20, 1 << 20, 1 << 10}, RawData: []byte{1, 2, 3, 4}}
	})
	mutate("init-dims-overflow", []string{"w"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[0].Dims = []int64{1 << 40, 1 << 40}
	})
	mutate("init-dims-negative", []string{"-2"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[0].Dims = []int64{-2, 1, 3, 3}
	})
	mutate("init-short-data", []string{"w"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[0].FloatData = m.Graph.Initializer[0].FloatData[:5]
	})
	mutate("init-raw-odd", []string{"raw_data"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[1] = &onnx.Tensor{Name: "b", DataType: onnx.Float, Dims: []int64{2}, RawData: []byte{1, 2, 3, 4, 5, 6, 7}}
	})
	mutate("init-string", []string{"string"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[1] = &onnx.Tensor{Name: "b", DataType: onnx.String, Dims: []int64{2}, StringData: [][]byte{[]byte("a"), []byte("b")}}
	})
	mutate("init-dtype-unknown", []string{"999"}, all, func(m *onnx.Model) {
		m.Graph.Initializer[1] = &onnx.Tensor{Name: "b", DataType: 999, Dims: []int64{2}, RawData: []byte{1, 2}}
	})
	// Element types the executor does not compute on.
	for _, dt := range []onnx.DataType{onnx.Float16, onnx.String, onnx.Uint16, onnx.Complex64, 77} {
		name := fmt.Sprintf("input-type-%v", dt)
		want := []string{dt.String()}
		if dt == 77 {
			want = []string{"77"}
		}
		mutate(name, want, []string{"info", "bench", "eval", "run", "finetune"}, func(m *onnx.Model) { input(m).ElemType = dt })
	}
	// Attribute values every command must refuse (not only info).
	convAttr := func(name string, want string, a *onnx.Attribute) {
		mutate(name, []string{want}, all, func(m *onnx.Model) {
			attrs := m.Graph.Node[0].Attribute
			for i, old := range attrs {
				if old.Name == a.Name {
					attrs[i] = a
					return
				}
			}
			m.Graph.Node[0].Attribute = append(attrs, a)
		})
	}
	convAttr("conv-group-0", "group", intAttr("group", 0))
	mutate("conv-group-0-finetune", []string{"group"}, []string{"finetune"}, func(m *onnx.Model) {
		m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, intAttr("group", 0))
	})
	mutate("conv-strides-0-init", []string{"strides"}, []string{"init"}, func(m *onnx.Model) {
		m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, intsAttr("strides", 0, 1))
	})
	convAttr("conv-group-negative", "group", intAttr("group", -3))
	convAttr("conv-group-3", "group", intAttr("group", 3))
	convAttr("conv-strides-0", "strides", intsAttr("strides", 0, 1))
	convAttr("conv-dilations-negative", "dilations", intsAttr("dilations", -1, 1))
	convAttr("conv-pads-negative", "pads", intsAttr("pads", -5, -5, -5, -5))
	convAttr("conv-pads-huge", "pads", intsAttr("pads", 1<<40, 0, 0, 0))
	convAttr("conv-kernel-wrong", "kernel", intsAttr("kernel_shape", 5, 5))
	convAttr("conv-auto-pad-bogus", "auto_pad", &onnx.Attribute{Name: "auto_pad", Type: onnx.AttrString, S: []byte("SIDEWAYS")})
	mutate("gemm-transB-wrong", []string{"fc"}, all, func(m *onnx.Model) { m.Graph.Node[3].Attribute = nil })
	mutate("flatten-axis-9", []string{"axis"}, all, func(m *onnx.Model) {
		m.Graph.Node[2].Attribute = []*onnx.Attribute{intAttr("axis", 9)}
	})
	// Graph structure.
	mutate("cycle", []string{"cycle"}, all, func(m *onnx.Model) {
		m.Graph.Node[1].Input = []string{"f"} // relu reads flatten's output, flatten reads relu's
	})
	mutate("self-loop", []string{"cycle"}, all, func(m *onnx.Model) { m.Graph.Node[1].Input = []string{"r"} })
	mutate("dangling-input", []string{"nowhere"}, all, func(m *onnx.Model) { m.Graph.Node[1].Input = []string{"nowhere"} })
	mutate("duplicate-producer", []string{"\"r\""}, all, func(m *onnx.Model) {
		m.Graph.Node = append(m.Graph.Node, &onnx.Node{Name: "relu2", OpType: "Relu", Input: []string{"c"}, Output: []string{"r"}})
	})
	mutate("output-dangling", []string{"ghost"}, all, func(m *onnx.Model) {
		m.Graph.Output = append(m.Graph.Output, &onnx.ValueInfo{Name: "ghost", Type: tensorType(onnx.Float, 1)})
	})
	mutate("no-nodes", []string{"y"}, all, func(m *onnx.Model) { m.Graph.Node = nil })
	mutate("no-outputs", []string{"output"}, all, func(m *onnx.Model) { m.Graph.Output = nil })
	mutate("unknown-op", []string{"FrobnicateXYZ"}, all, func(m *onnx.Model) { m.Graph.Node[1].OpType = "FrobnicateXYZ" })
	mutate("no-opset", []string{"opset"}, all, func(m *onnx.Model) { m.OpsetImport = nil })
	mutate("missing-weight", []string{"w"}, all, func(m *onnx.Model) { m.Graph.Initializer = m.Graph.Initializer[1:] })
	// Shape computations that ask for a huge tensor.
	huge := func(name, op string, extra func(m *onnx.Model, n *onnx.Node)) {
		mutate(name, []string{name}, all, func(m *onnx.Model) {
			n := &onnx.Node{Name: name, OpType: op, Output: []string{"big"}}
			extra(m, n)
			m.Graph.Node = append(m.Graph.Node, n)
			m.Graph.Output = append(m.Graph.Output, &onnx.ValueInfo{Name: "big"})
		})
	}
	i64 := func(name string, v ...int64) *onnx.Tensor {
		return &onnx.Tensor{Name: name, DataType: onnx.Int64, Dims: []int64{int64(len(v))}, Int64Data: v}
	}
	huge("expand-2^38", "Expand", func(m *onnx.Model, n *onnx.Node) {
		m.Graph.Initializer = append(m.Graph.Initializer, i64("eshape", 1<<19, 1<<19, 1))
		n.Input = []string{"y", "eshape"}
	})
	huge("tile-2^40", "Tile", func(m *onnx.Model, n *onnx.Node) {
		m.Graph.Initializer = append(m.Graph.Initializer, i64("reps", 1<<20, 1<<20))
		n.Input = []string{"y", "reps"}
	})
	huge("constantofshape-2^45", "ConstantOfShape", func(m *onnx.Model, n *onnx.Node) {
		m.Graph.Initializer = append(m.Graph.Initializer, i64("cshape", 1<<15, 1<<15, 1<<15))
		n.Input = []string{"cshape"}
	})
	huge("reshape-huge", "Reshape", func(m *onnx.Model, n *onnx.Node) {
		m.Graph.Initializer = append(m.Graph.Initializer, i64("rshape", 1<<40, 1<<40))
		n.Input = []string{"y", "rshape"}
	})
	huge("range-2^40", "Range", func(m *onnx.Model, n *onnx.Node) {
		m.Graph.Initializer = append(m.Graph.Initializer,
			&onnx.Tensor{Name: "r0", DataType: onnx.Float, FloatData: []float32{0}},
			&onnx.Tensor{Name: "r1", DataType: onnx.Float, FloatData: []float32{1 << 40}},
			&onnx.Tensor{Name: "r2", DataType: onnx.Float, FloatData: []float32{1}})
		n.Input = []string{"r0", "r1", "r2"}
	})
	huge("resize-x2^20", "Resize", func(m *onnx.Model, n *onnx.Node) {
		m.Graph.Initializer = append(m.Graph.Initializer,
			&onnx.Tensor{Name: "scales", DataType: onnx.Float, Dims: []int64{4}, FloatData: []float32{1, 1, 1 << 20, 1 << 20}})
		n.Input = []string{"x", "", "scales"}
	})
	// Versions beyond what Pare knows load, with a warning.
	for _, v := range []struct {
		name string
		edit func(m *onnx.Model)
		warn string
	}{
		{"ir-99", func(m *onnx.Model) { m.IRVersion = 99 }, "IR version 99"},
		{"opset-9999", func(m *onnx.Model) { m.OpsetImport[0].Version = 9999 }, "opset 9999"},
	} {
		m := baseModel()
		v.edit(m)
		w.modelCase(v.name, w.file("models/"+v.name+".onnx", encode(m)), []string{"info", "bench"}, Case{MaySucceed: true, Warn: []string{v.warn}})
	}

	w.externalData()
	w.outputNames()
	w.modelWrites()
}
