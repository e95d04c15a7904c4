package qil

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Storage is how exported weight levels are stored.
type Storage string

const (
	// StorageInt8 keeps every weight level in an int8 initializer at opset
	// 13: every QDQ runtime loads it; levels of 4 bits or fewer do not make
	// the file smaller.
	StorageInt8 Storage = "int8"
	// StorageInt4 stores the weights of layers at 4 bits or fewer as
	// opset-21 int4 initializers, two per byte (IR 10; onnxruntime 1.18+),
	// and the others as int8.
	StorageInt4 Storage = "int4"
)

func (s Storage) opset() (int64, error) {
	switch s {
	case "", StorageInt8:
		return 13, nil
	case StorageInt4:
		return 21, nil
	}
	return 0, fmt.Errorf("qil: unknown storage %q (int8 or int4)", s)
}

// changedAt lists default-domain ops whose signature or meaning changed at
// an opset: raising a model's opset past one of these versions would
// change what the model computes, so export refuses to.
var changedAt = map[string]int64{
	"Clip": 11, "Pad": 11, "Resize": 11, "Slice": 10, "TopK": 10, "Upsample": 10,
	"Softmax": 13, "LogSoftmax": 13, "Hardmax": 13, "Squeeze": 13, "Unsqueeze": 13, "Split": 13, "ReduceSum": 13,
	"ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18, "ReduceProd": 18, "ReduceL1": 18, "ReduceL2": 18,
	"ReduceLogSum": 18, "ReduceLogSumExp": 18, "ReduceSumSquare": 18, "BatchNormalization": 9, "Scatter": 11,
}

// checkOpsetRaise refuses to raise m's default opset to target when an op
// it uses changed in between.
func checkOpsetRaise(m *onnx.Model, target int64) error {
	from := m.OpsetVersion("")
	if from >= target {
		return nil
	}
	if from < 7 {
		return fmt.Errorf("qil: the model is at opset %d, before numpy-style broadcasting (opset 7); convert it to opset %d or later first", from, target)
	}
	var bad []string
	seen := map[string]bool{}
	for _, n := range m.Graph.Node {
		if v, ok := changedAt[n.OpType]; ok && onnx.IsDefaultDomain(n.Domain) && v > from && v <= target && !seen[n.OpType] {
			seen[n.OpType] = true
			bad = append(bad, fmt.Sprintf("%s (changed at opset %d)", n.OpType, v))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("qil: the export needs opset %d, but the model is at opset %d and uses %s; convert the model to opset %d first", target, from, strings.Join(bad, ", "), target)
	}
	return nil
}

// emitter adds the standard-op form of quantizers to a model.
type emitter struct {
	m       *onnx.Model
	storage Storage
	nodes   []*onnx.Node
	inits   []*onnx.Tensor
	// floatBias leaves every bias in float (bias.go is skipped): the form
	// that computes QIL's arithmetic bit for bit, for tests.
	floatBias bool
}

func (e *emitter) init(t *tensor.Tensor, name string) string {
	o, err := tensor.ToONNX(t, name)
	if err != nil {
		panic(err) // values are in range by construction
	}
	e.inits = append(e.inits, o)
	return name
}

func (e *emitter) node(op, name string, in []string, out string, attrs ...*onnx.Attribute) {
	e.nodes = append(e.nodes, &onnx.Node{Name: name, OpType: op, Input: in, Output: []string{out}, Attribute: attrs})
}

// weight writes levels (in [-q, q]) as an integer initializer read by a
// DequantizeLinear whose output is out. scales has one entry (per tensor)
// or one per index of axis (per channel).
func (e *emitter) weight(out string, shape []int, levels []int8, scales []float32, axis int, bits int) {
	dt := tensor.Int8
	if e.storage == StorageInt4 && bits <= 4 {
		dt = tensor.Int4
	}
	q := &tensor.Tensor{DType: dt, Shape: shape, I8: levels}
	zp := &tensor.Tensor{DType: dt, Shape: []int{}, I8: []int8{0}}
	var sc *tensor.Tensor
	var attrs []*onnx.Attribute
	if len(scales) > 1 {
		zp.Shape, zp.I8 = []int{len(scales)}, make([]int8, len(scales))
		sc = tensor.FromF32([]int{len(scales)}, scales)
		attrs = append(attrs, intAttr("axis", int64(axis)))
	} else {
		sc = tensor.FromF32([]int{}, scales)
	}
	e.node("DequantizeLinear", out+"_dq", []string{e.init(q, out+"_int"), e.init(sc, out+"_scale"), e.init(zp, out+"_zp")}, out, attrs...)
}

// act writes the activation quantizer from in to out with standard ops:
// [Abs ->] Sub(lo) -> Clip(0, width) -> QuantizeLinear -> DequantizeLinear
// [-> Mul(Sign(in))], the arithmetic of actKernel.
func (e *emitter) act(in, out string, g actGrid, signed bool) {
	p := out + "_"
	x := in
	if signed {
		e.node("Abs", p+"abs", []string{in}, p+"abs")
		x = p + "abs"
	}
	if g.lo != 0 {
		e.node("Sub", p+"shift", []string{x, e.init(tensor.FromF32([]int{}, []float32{g.lo}), p+"lo")}, p+"shift")
		x = p + "shift"
	}
	e.node("Clip", p+"clip", []string{x, e.init(tensor.FromF32([]int{}, []float32{0}), p+"zero"),
		e.init(tensor.FromF32([]int{}, []float32{g.width}), p+"width")}, p+"clip")
	step := e.init(tensor.FromF32([]int{}, []float32{g.step}), p+"step")
	zp := e.init(&tensor.Tensor{DType: tensor.Uint8, Shape: []int{}, U8: []uint8{0}}, p+"zp")
	e.node("QuantizeLinear", p+"q", []string{p + "clip", step, zp}, p+"q")
	dq := out
	if signed {
		dq = p + "dq"
	}
	e.node("DequantizeLinear", p+"dq", []string{p + "q", step, zp}, dq)
	if signed {
		e.node("Sign", p+"sign", []string{in}, p+"sign")
		e.node("Mul", p+"signed", []string{dq, p + "sign"}, out)
	}
}

// finish adds what was emitted, removes what it replaced and sets the
// opset and IR version.
func (e *emitter) finish(drop map[*onnx.Node]bool, recipe string) error {
	target, err := e.storage.opset()
	if err != nil {
		return err
	}
	if err := checkOpsetRaise(e.m, target); err != nil {
		return err
	}
	g := e.m.Graph
	kept := g.Node[:0]
	for _, n := range g.Node {
		if !drop[n] {
			kept = append(kept, n)
		}
	}
	g.Node = append(kept, e.nodes...)
	g.Initializer = append(g.Initializer, e.inits...)
	if !e.floatBias {
		notes, err := quantizeBiases(e.m)
		if err != nil {
			return err
		}
		for _, n := range notes {
			recipe += "; " + n
		}
	}
	dropOpset(e.m, Domain)
	if err := edit.RequireOpset(e.m, "", target); err != nil {
		return err
	}
	edit.SetMetadata(e.m, "pare.quantization", recipe)
	return tidy(e.m)
}

// Export turns a model holding QIL quantizers (the form Run trains) into
// standard ONNX: each QILWeight becomes its integer levels behind a
// DequantizeLinear (per tensor where the interval is the layer's, per
// output channel on axis 0 where each channel has its own), each
// QILAct the Sub/Clip/QuantizeLinear/DequantizeLinear chain, and the bias
// of each layer they feed an int32 initializer behind a DequantizeLinear
// (bias.go). The result computes exactly what the quantizers computed,
// except that each such bias is rounded to its layer's accumulator unit
// (at most half a unit per channel). recipe goes to metadata_props under
// "pare.quantization", with a note for each bias left in float.
func Export(m *onnx.Model, storage Storage, recipe string) (*onnx.Model, error) {
	return export(m, &emitter{storage: storage}, recipe)
}

// export is Export with the emitter's options (e.m is set here).
func export(m *onnx.Model, e *emitter, recipe string) (*onnx.Model, error) {
	out, err := clone(m)
	if err != nil {
		return nil, err
	}
	inits := map[string]*onnx.Tensor{}
	for _, t := range out.Graph.Initializer {
		inits[t.Name] = t
	}
	values := func(n *onnx.Node) ([]*tensor.Tensor, error) {
		in := make([]*tensor.Tensor, len(n.Input))
		for i, name := range n.Input {
			t := inits[name]
			if t == nil {
				if i == 0 && n.OpType == OpAct {
					continue // the activation
				}
				return nil, fmt.Errorf("qil: export: input %q of %s is not an initializer", name, n.Name)
			}
			v, err := tensor.FromONNX(t)
			if err != nil {
				return nil, err
			}
			in[i] = v
		}
		return in, nil
	}
	e.m = out
	drop := map[*onnx.Node]bool{}
	found := 0
	for _, n := range out.Graph.Node {
		if n.Domain != Domain {
			continue
		}
		in, err := values(n)
		if err != nil {
			return nil, err
		}
		switch n.OpType {
		case OpWeight:
			a, err := readWeightArgs(n, in)
			if err != nil {
				return nil, fmt.Errorf("qil: export: %w", err)
			}
			// One scale per interval: per tensor for a layer's, per
			// output channel (axis 0) for per-channel intervals.
			levels := make([]int8, len(a.w.F32))
			scales := make([]float32, len(a.c))
			a.levels(func(i, level int, scale float32) {
				levels[i] = int8(level)
				scales[i/a.inner] = scale
			})
			e.weight(n.Output[0], a.w.Shape, levels, scales, 0, int(n.AttrInt("bits", 0)))
		case OpAct:
			in[0] = tensor.New(tensor.Float32, []int{0})
			a, err := readActArgs(n, in)
			if err != nil {
				return nil, fmt.Errorf("qil: export: %w", err)
			}
			e.act(n.Input[0], n.Output[0], a.grid, a.signed)
		default:
			return nil, fmt.Errorf("qil: export: unknown operator %s.%s", n.Domain, n.OpType)
		}
		drop[n] = true
		found++
	}
	if found == 0 {
		return nil, fmt.Errorf("qil: export: the model holds no QIL quantizers")
	}
	if err := e.finish(drop, recipe); err != nil {
		return nil, err
	}
	return out, nil
}
