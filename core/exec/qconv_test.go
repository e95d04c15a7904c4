package exec

import (
	"math"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// TestIntegerConvsTakeOnlyWhatTheyComputeExactly: the second Conv of the
// "QDQ weight and int32 bias" case multiplies in integers where the
// platform can (a weight zero point other than 0 included), and stays in
// float for weights whose scale is infinite or NaN, for a scale per input
// channel, and when the session is asked to keep Convs in float; in every
// case the outputs are the float plan's (bit for bit in float, within
// float32 rounding in integers). A run-only session keeps no float weight
// for an integer Conv, and the one it rebuilds when it needs one is the
// float plan's.
func TestIntegerConvsTakeOnlyWhatTheyComputeExactly(t *testing.T) {
	var base qdqCase
	for _, k := range qdqCases(t) {
		if k.intoConv && len(k.nodes) > 5 {
			base = k
		}
	}
	scalar := func(name string, v float32) *onnx.Tensor { return onnxT(t, name, f32([]int{}, v)) }
	for _, tc := range []struct {
		name    string
		inits   map[string]*onnx.Tensor
		axis    int64 // of the weight's DequantizeLinear, when not 0
		integer bool
	}{
		{name: "as exported", integer: true},
		{name: "weight zero point 3", integer: true, inits: map[string]*onnx.Tensor{"zw": onnxT(t, "zw", scalarOf(tensor.Int8, 3))}},
		{name: "weight scale +Inf", inits: map[string]*onnx.Tensor{"sw": scalar("sw", float32(math.Inf(1)))}},
		{name: "weight scale NaN", inits: map[string]*onnx.Tensor{"sw": scalar("sw", float32(math.NaN()))}},
		{name: "a weight scale per input channel", axis: 1, inits: map[string]*onnx.Tensor{
			"sw": onnxT(t, "sw", f32([]int{4}, 0.02, 0.01, 0.03, 0.02)),
			"zw": onnxT(t, "zw", &tensor.Tensor{DType: tensor.Int8, Shape: []int{4}, I8: make([]int8, 4)}),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inits := make([]*onnx.Tensor, len(base.inits))
			for i, in := range base.inits {
				inits[i] = in
				if r, ok := tc.inits[in.Name]; ok {
					inits[i] = r
				}
			}
			nodes := make([]*onnx.Node, len(base.nodes))
			for i, n := range base.nodes {
				nodes[i] = n
				if n.Name == "wdq" && tc.axis != 0 {
					nodes[i] = mkNode("DequantizeLinear", "wdq", n.Input, n.Output, attrInt("axis", tc.axis))
				}
			}
			m := testModel(base.opset, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 2, 4, 6, 6)}, []string{"y"}, inits, nodes...)
			m.IRVersion = 10
			ref, err := NewSessionWith(m, SessionOptions{RunOnly: true, noIntegerConv: true})
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSessionWith(m, SessionOptions{RunOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			integer := 0
			for _, st := range s.fused {
				if st.conv != nil && st.conv.integer != nil {
					integer++
					if w := s.consts[st.node.Input[1]]; w == nil || w.F32 != nil {
						t.Errorf("the run-only session keeps the float weight of an integer Conv")
					}
				}
			}
			if want := b2i(tc.integer && gemm.IntegerKernel()); integer != want {
				t.Fatalf("%d Convs multiply in integers, want %d", integer, want)
			}
			x := tensor.New(tensor.Float32, []int{2, 4, 6, 6})
			for i := range x.F32 {
				x.F32[i] = float32(math.Sin(float64(i)*0.37)) * 3
			}
			feeds := map[string]*tensor.Tensor{"x": x}
			want, err := ref.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Run(feeds)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want["y"].F32 {
				g := got["y"].F32[i]
				ok := sameBits(g, w) || w != w && g != g
				if integer > 0 && !ok {
					ok = math.Abs(float64(g-w)) <= 1e-5*(1+math.Abs(float64(w)))
				}
				if !ok {
					t.Fatalf("y[%d] = %v, the float plan's %v", i, g, w)
				}
			}
			// The float weight the integer Conv rebuilds for images its
			// kernel refuses is the float plan's, bit for bit.
			for k, st := range s.fused {
				if st.conv == nil || st.conv.integer == nil {
					continue
				}
				rebuilt, kept := st.conv.integer.Float(), ref.consts[ref.fused[k].node.Input[1]]
				if kept == nil || len(rebuilt.F32) != len(kept.F32) {
					t.Fatalf("the float plan has no weight like the rebuilt one")
				}
				for i, v := range kept.F32 {
					if !sameBits(rebuilt.F32[i], v) {
						t.Fatalf("rebuilt weight [%d] = %v, the float plan's %v", i, rebuilt.F32[i], v)
					}
				}
			}
		})
	}
}
