package exec

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// qdqCase is a small QDQ graph with input "x" and output "y".
type qdqCase struct {
	name  string
	opset int64
	// scale places rounding ties in the input: x values (k + 1/2)*scale.
	scale float32
	nodes []*onnx.Node
	inits []*onnx.Tensor
	// dtype of the input (float32 unless set).
	dtype onnx.DataType
	// fused is whether the chain must collapse (no QuantizeLinear step
	// left in the fused plan), and intoConv whether into a Conv step.
	fused, intoConv bool
	// gone are op types the fused plan must not run any more (taken into
	// a fused step).
	gone []string
	// unclamped is whether no fused Conv may keep its Relu or Clip (a
	// fake quantization after the pool took it).
	unclamped bool
	// finite leaves NaN and infinities out of the input: the reference
	// plan fuses the Conv and its Relu too, and that clamp may turn a NaN
	// into 0 where the ONNX Relu, and the fused plan, keep it (in the
	// pure-Go build), which only a zero point of 0 hides.
	finite bool
}

func onnxT(t *testing.T, name string, v *tensor.Tensor) *onnx.Tensor {
	t.Helper()
	o, err := tensor.ToONNX(v, name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func scalarOf(dt tensor.DType, v int) *tensor.Tensor {
	t := tensor.New(dt, []int{})
	setFromInt(t, 0, int64(v))
	return t
}

func qdqCases(t *testing.T) []qdqCase {
	sc := func(name string, v float32) *onnx.Tensor { return onnxT(t, name, f32([]int{}, v)) }
	zp := func(name string, dt tensor.DType, v int) *onnx.Tensor { return onnxT(t, name, scalarOf(dt, v)) }
	q := func(in, out, s, z string) *onnx.Node {
		return mkNode("QuantizeLinear", out, []string{in, s, z}, []string{out})
	}
	dq := func(in, out, s, z string) *onnx.Node {
		return mkNode("DequantizeLinear", out, []string{in, s, z}, []string{out})
	}
	rng := rand.New(rand.NewPCG(5, 6))
	weights := func(shape ...int) *tensor.Tensor {
		w := tensor.New(tensor.Float32, shape)
		for i := range w.F32 {
			w.F32[i] = float32(rng.NormFloat64() * 0.3)
		}
		return w
	}
	w8 := &tensor.Tensor{DType: tensor.Int8, Shape: []int{4, 4, 3, 3}, I8: make([]int8, 144)}
	for i := range w8.I8 {
		w8.I8[i] = int8(rng.IntN(15) - 7)
	}
	b32 := &tensor.Tensor{DType: tensor.Int32, Shape: []int{4}, I32: []int32{-300, 0, 7, 1200}}
	pads := attrInts("pads", 1, 1, 1, 1)
	return []qdqCase{
		{name: "uint8 zero point 128", opset: 13, scale: 0.1, fused: true,
			inits: []*onnx.Tensor{sc("s", 0.1), zp("z", tensor.Uint8, 128)},
			nodes: []*onnx.Node{q("x", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "int8, two scales", opset: 13, scale: 0.05, fused: true,
			inits: []*onnx.Tensor{sc("s", 0.05), sc("s2", 0.07), zp("z", tensor.Int8, -3), zp("z2", tensor.Int8, 5)},
			nodes: []*onnx.Node{q("x", "q", "s", "z"), dq("q", "y", "s2", "z2")}},
		{name: "no zero point", opset: 13, scale: 0.25, fused: true,
			inits: []*onnx.Tensor{sc("s", 0.25)},
			nodes: []*onnx.Node{mkNode("QuantizeLinear", "q", []string{"x", "s"}, []string{"q"}), mkNode("DequantizeLinear", "y", []string{"q", "s"}, []string{"y"})}},
		{name: "QIL unsigned", opset: 13, scale: 2.0 / 15, fused: true,
			inits: []*onnx.Tensor{sc("lo", 0.3), sc("zero", 0), sc("w", 2), sc("s", 2.0/15), zp("z", tensor.Uint8, 0)},
			nodes: []*onnx.Node{mkNode("Sub", "sub", []string{"x", "lo"}, []string{"a"}), mkNode("Clip", "clip", []string{"a", "zero", "w"}, []string{"b"}),
				q("b", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "QIL signed", opset: 13, scale: 1.5 / 7, fused: true,
			inits: []*onnx.Tensor{sc("zero", 0), sc("w", 1.5), sc("s", 1.5/7), zp("z", tensor.Uint8, 0)},
			nodes: []*onnx.Node{mkNode("Abs", "abs", []string{"x"}, []string{"a"}), mkNode("Clip", "clip", []string{"a", "zero", "w"}, []string{"b"}),
				q("b", "q", "s", "z"), dq("q", "d", "s", "z"), mkNode("Sign", "sign", []string{"x"}, []string{"sg"}), mkNode("Mul", "mul", []string{"d", "sg"}, []string{"y"})}},
		{name: "Clip beyond the int8 range (not merged)", opset: 13, scale: 0.01, fused: true,
			inits: []*onnx.Tensor{sc("l", 2), sc("h", 3), sc("s", 0.01), zp("z", tensor.Int8, 0)},
			nodes: []*onnx.Node{mkNode("Clip", "clip", []string{"x", "l", "h"}, []string{"b"}), q("b", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "Relu and Add before", opset: 13, scale: 0.2, fused: true,
			inits: []*onnx.Tensor{sc("c", -0.1), sc("s", 0.2), zp("z", tensor.Int8, 0)},
			nodes: []*onnx.Node{mkNode("Relu", "relu", []string{"x"}, []string{"a"}), mkNode("Add", "add", []string{"a", "c"}, []string{"b"}),
				q("b", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "input scaling: Mul by a constant (either operand) before", opset: 13, scale: 0.1, fused: true, gone: []string{"Mul"},
			inits: []*onnx.Tensor{sc("two", 2), sc("third", 1.0/3), sc("s", 0.2), zp("z", tensor.Int8, 3)},
			nodes: []*onnx.Node{mkNode("Mul", "mul", []string{"two", "x"}, []string{"a"}), mkNode("Mul", "mul2", []string{"a", "third"}, []string{"b"}),
				mkNode("Mul", "mul3", []string{"b", "two"}, []string{"c"}), q("c", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "input scaling, then a signed quantizer (the Mul into the pass)", opset: 13, scale: 0.3, fused: true, gone: []string{"Mul", "Sign"},
			inits: []*onnx.Tensor{sc("half", 0.5), sc("zero", 0), sc("w", 1.5), sc("s", 0.15), zp("z", tensor.Uint8, 0)},
			nodes: []*onnx.Node{mkNode("Mul", "mul", []string{"half", "x"}, []string{"m"}), mkNode("Abs", "abs", []string{"m"}, []string{"a"}),
				mkNode("Clip", "clip", []string{"a", "zero", "w"}, []string{"b"}), q("b", "q", "s", "z"), dq("q", "d", "s", "z"),
				mkNode("Sign", "sign", []string{"m"}, []string{"sg"}), mkNode("Mul", "mul2", []string{"sg", "d"}, []string{"y"})}},
		{name: "MaxPool, then QDQ (into the pool's step)", opset: 13, scale: 0.1, fused: true, gone: []string{"DequantizeLinear"},
			inits: []*onnx.Tensor{sc("lo", -1), sc("hi", 1), sc("s", 0.1), zp("z", tensor.Int8, 2)},
			nodes: []*onnx.Node{mkNode("MaxPool", "pool", []string{"x"}, []string{"p"}, attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)),
				mkNode("Clip", "clip", []string{"p", "lo", "hi"}, []string{"c"}), q("c", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "Conv, Relu, MaxPool, QDQ: the Relu into the pass after the pool", opset: 13, scale: 0.2, fused: true, gone: []string{"DequantizeLinear"}, unclamped: true,
			inits: []*onnx.Tensor{onnxT(t, "W", weights(4, 4, 3, 3)), onnxT(t, "B", weights(4)), sc("zero", 0), sc("w", 3), sc("s", 0.2), zp("z", tensor.Uint8, 0)},
			nodes: []*onnx.Node{mkNode("Conv", "conv", []string{"x", "W", "B"}, []string{"c"}, pads), mkNode("Relu", "relu", []string{"c"}, []string{"r"}),
				mkNode("MaxPool", "pool", []string{"r"}, []string{"p"}, attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)),
				mkNode("Clip", "clip", []string{"p", "zero", "w"}, []string{"k"}), q("k", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "Conv, Relu, MaxPool, Flatten, QDQ with a zero point", opset: 13, scale: 0.2, fused: true, gone: []string{"DequantizeLinear"}, unclamped: true, finite: true,
			inits: []*onnx.Tensor{onnxT(t, "W", weights(4, 4, 3, 3)), sc("s", 0.2), zp("z", tensor.Int8, -5)},
			nodes: []*onnx.Node{mkNode("Conv", "conv", []string{"x", "W"}, []string{"c"}, pads), mkNode("Relu", "relu", []string{"c"}, []string{"r"}),
				mkNode("MaxPool", "pool", []string{"r"}, []string{"p"}, attrInts("kernel_shape", 1, 2), attrInts("strides", 1, 1)),
				mkNode("Flatten", "flat", []string{"p"}, []string{"f"}), q("f", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "GlobalAveragePool, Flatten, then QDQ (into the pool's step)", opset: 13, scale: 0.1, fused: true, gone: []string{"DequantizeLinear"},
			inits: []*onnx.Tensor{sc("s", 0.1), zp("z", tensor.Uint8, 7)},
			nodes: []*onnx.Node{mkNode("GlobalAveragePool", "gap", []string{"x"}, []string{"p"}), mkNode("Flatten", "flat", []string{"p"}, []string{"f"}),
				q("f", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "int4 at opset 21", opset: 21, scale: 0.3, fused: true,
			inits: []*onnx.Tensor{sc("s", 0.3), zp("z", tensor.Int4, 1)},
			nodes: []*onnx.Node{q("x", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "float64 input (fallback)", opset: 13, scale: 0.1, fused: true, dtype: onnx.Double,
			inits: []*onnx.Tensor{sc("s", 0.1), zp("z", tensor.Uint8, 10)},
			nodes: []*onnx.Node{q("x", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "per-axis scale (not fused)", opset: 13, scale: 0.1,
			inits: []*onnx.Tensor{onnxT(t, "s", f32([]int{4}, 0.1, 0.2, 0.3, 0.4)), onnxT(t, "z", &tensor.Tensor{DType: tensor.Uint8, Shape: []int{4}, U8: make([]uint8, 4)})},
			nodes: []*onnx.Node{q("x", "q", "s", "z"), dq("q", "y", "s", "z")}},
		{name: "Conv, Relu, QDQ into the Conv, QDQ weight and int32 bias", opset: 13, scale: 0.2, fused: true, intoConv: true,
			inits: []*onnx.Tensor{onnxT(t, "W", weights(4, 4, 3, 3)), onnxT(t, "B", weights(4)), sc("zero", 0), sc("w", 3), sc("s", 0.2), zp("z", tensor.Uint8, 0),
				onnxT(t, "W2q", w8), sc("sw", 0.02), zp("zw", tensor.Int8, 0), onnxT(t, "B2q", b32), sc("sb", 0.2*0.02)},
			nodes: []*onnx.Node{mkNode("Conv", "conv", []string{"x", "W", "B"}, []string{"c"}, pads), mkNode("Relu", "relu", []string{"c"}, []string{"r"}),
				mkNode("Clip", "clip", []string{"r", "zero", "w"}, []string{"k"}), q("k", "q", "s", "z"), dq("q", "a", "s", "z"),
				mkNode("DequantizeLinear", "wdq", []string{"W2q", "sw", "zw"}, []string{"W2"}), mkNode("DequantizeLinear", "bdq", []string{"B2q", "sb"}, []string{"B2"}),
				mkNode("Conv", "conv2", []string{"a", "W2", "B2"}, []string{"y"}, pads)}},
		{name: "plain Conv then QDQ", opset: 13, scale: 0.1, fused: true, intoConv: true,
			inits: []*onnx.Tensor{onnxT(t, "W", weights(4, 4, 3, 3)), sc("s", 0.1), zp("z", tensor.Int8, 0)},
			nodes: []*onnx.Node{mkNode("Conv", "conv", []string{"x", "W"}, []string{"c"}, pads), q("c", "q", "s", "z"), dq("q", "y", "s", "z")}},
	}
}

// qdqInput is x of shape [1, 4, 6, 6] with rounding ties at scale, values
// past any saturation, zeros of both signs and, for float32, NaN and
// infinities.
func qdqInput(c qdqCase) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(7, 8))
	v := make([]float32, 4*6*6)
	for i := range v {
		switch i % 6 {
		case 0:
			v[i] = (float32(rng.IntN(40)-20) + 0.5) * c.scale
		case 1:
			v[i] = float32(rng.NormFloat64() * 50)
		case 2:
			v[i] = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e30}[rng.IntN(6)]
			if c.finite && (v[i] != v[i] || math.IsInf(float64(v[i]), 0)) {
				v[i] = -1e3
			}
		default:
			v[i] = float32(rng.NormFloat64() * 2)
		}
	}
	x := tensor.FromF32([]int{1, 4, 6, 6}, v)
	if c.dtype == onnx.Double {
		x = &tensor.Tensor{DType: tensor.Float64, Shape: x.Shape, F64: make([]float64, len(v))}
		for i, f := range v {
			if !math.IsNaN(float64(f)) {
				x.F64[i] = float64(f)
			}
		}
	}
	return x
}

// sameBits reports whether a and b hold the same float32 bits (any NaN
// equals any NaN).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestFakeQuantMatchesUnfused: each fused chain computes the unfused
// kernels' result bit for bit, in a plain and a run-only session, twice
// (buffers recycled), and the chains that must collapse do (a Conv's Relu
// or Clip into the fake quantization's clamp too).
func TestFakeQuantMatchesUnfused(t *testing.T) {
	for _, c := range qdqCases(t) {
		t.Run(c.name, func(t *testing.T) {
			dt := c.dtype
			if dt == 0 {
				dt = onnx.Float
			}
			m := testModel(c.opset, []*onnx.ValueInfo{valueInfo("x", dt, 1, 4, 6, 6)}, []string{"y"}, c.inits, c.nodes...)
			m.IRVersion = 10
			ref, err := NewSessionWith(m, SessionOptions{noFakeQuant: true})
			if err != nil {
				t.Fatal(err)
			}
			feeds := map[string]*tensor.Tensor{"x": qdqInput(c)}
			want, err := ref.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			// Bit for bit with every Conv in float; with the integer
			// convolutions (where the platform has them) within float32
			// rounding (qconv.go).
			for _, opts := range []SessionOptions{{noIntegerConv: true}, {RunOnly: true, noIntegerConv: true}, {}, {RunOnly: true}} {
				s, err := NewSessionWith(m, opts)
				if err != nil {
					t.Fatal(err)
				}
				quantSteps, convQuant := 0, false
				for _, st := range s.fused {
					quantSteps += b2i(st.node.OpType == "QuantizeLinear")
					if c.unclamped && st.conv != nil && st.conv.clamp.Clamp {
						t.Errorf("the Conv before the pool still clamps")
					}
					if slices.Contains(c.gone, st.node.OpType) {
						t.Errorf("a %s step is left in the fused plan", st.node.OpType)
					}
					convQuant = convQuant || st.conv != nil && st.conv.quant != nil
					if st.conv != nil && st.conv.quant != nil && st.conv.clamp.Clamp {
						t.Errorf("the Conv still clamps before its fake quantization, which could take the clamp")
					}
				}
				if c.fused && quantSteps != 0 || !c.fused && quantSteps == 0 {
					t.Errorf("%d QuantizeLinear steps left in the fused plan (fused: %v)", quantSteps, c.fused)
				}
				if convQuant != c.intoConv {
					t.Errorf("chain fused into a Conv: %v, want %v", convQuant, c.intoConv)
				}
				for run := range 2 {
					got, err := s.Run(feeds)
					if err != nil {
						t.Fatal(err)
					}
					w, g := want["y"], got["y"]
					if g.DType != w.DType || g.Len() != w.Len() {
						t.Fatalf("output %v %v, want %v %v", g.DType, g.Shape, w.DType, w.Shape)
					}
					for i := range w.F32 {
						same := sameBits(g.F32[i], w.F32[i])
						if !opts.noIntegerConv && !same {
							same = math.Abs(float64(g.F32[i]-w.F32[i])) <= 1e-5*(1+math.Abs(float64(w.F32[i])))
						}
						if !same {
							t.Fatalf("run-only %v, integer convolutions %v, run %d: y[%d] = %v fused, %v unfused (x = %v)",
								opts.RunOnly, !opts.noIntegerConv, run, i, g.F32[i], w.F32[i], asFloat64(feeds["x"], i%feeds["x"].Len()))
						}
					}
				}
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestQDQWeightsFoldOnce: DequantizeLinear of an initializer (weights,
// int32 biases) is folded when the session is made, and a run-only
// session keeps the float weight alone.
func TestQDQWeightsFoldOnce(t *testing.T) {
	var c qdqCase
	for _, k := range qdqCases(t) {
		if k.intoConv && len(k.nodes) > 5 {
			c = k
		}
	}
	m := testModel(c.opset, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, 4, 6, 6)}, []string{"y"}, c.inits, c.nodes...)
	s, err := NewSessionWith(m, SessionOptions{RunOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range s.fused {
		if st.node.OpType == "DequantizeLinear" && st.node.Input[0] != "q" {
			t.Errorf("DequantizeLinear of %s runs at every Run", st.node.Input[0])
		}
	}
	for _, name := range []string{"W2q", "B2q"} {
		if _, kept := s.consts[name]; kept {
			t.Errorf("run-only session still holds the integer %s", name)
		}
	}
}
