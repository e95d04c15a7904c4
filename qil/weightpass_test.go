package qil

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// TestWeightForwardSavesTheKernelsTransform checks the training forward
// of QILWeight against the kernel (the export's and inference's path) to
// the bit, and the backward from its saved T against the backward that
// computes T and ln u itself, to the bit: per layer and per channel,
// gamma below, at and above 1 (0.5 and 2 too, which math.Pow and
// layerPower treat on their own), weights on and around the interval's
// ends, 0 and NaN.
func TestWeightForwardSavesTheKernelsTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, gamma := range []float32{0.5, 0.7, 1, 1.6, 2} {
		for _, channels := range []bool{false, true} {
			const out, inner = 4, 50
			w := randomValues(r, out*inner, 0.5)
			w[0], w[1], w[2], w[3], w[4] = 0.15, -0.75, 0, 0.45, float32(math.NaN())
			in := []*tensor.Tensor{tensor.FromF32([]int{out, inner}, w), one(0.45), one(0.3), one(gamma)}
			if channels {
				in[1] = tensor.FromF32([]int{out}, []float32{0.45, 0.9, 0.3, 0.5})
				in[2] = tensor.FromF32([]int{out}, []float32{0.3, 0.2, 0.3, 0.45})
				in = append(in, tensor.FromF32([]int{out}, []float32{1, 0.5, 2, 1.25}))
			}
			n := bitsNode(OpWeight, 4, 0)
			if channels {
				n.Input = append(n.Input, "unit")
			}
			want, err := runNode(t, n, in...)
			if err != nil {
				t.Fatal(err)
			}
			outs, saved, err := weightForward(n, 1, in, train.ModeTrain)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range outs[0].F32 {
				if math.Float32bits(v) != math.Float32bits(want.F32[i]) {
					t.Fatalf("gamma %v, channels %v: w_q[%d] = %v, the kernel's %v", gamma, channels, i, v, want.F32[i])
				}
			}
			dy := tensor.FromF32([]int{out, inner}, randomValues(r, out*inner, 1))
			g := &train.NodeGrad{Node: n, Opset: 1, In: in, Out: outs, DOut: []*tensor.Tensor{dy}, Saved: saved}
			fromSaved, err := weightBackward(g)
			if err != nil {
				t.Fatal(err)
			}
			g.Saved = nil
			computed, err := weightBackward(g)
			if err != nil {
				t.Fatal(err)
			}
			for j := range computed {
				for i, v := range computed[j].F32 {
					if math.Float32bits(v) != math.Float32bits(fromSaved[j].F32[i]) {
						t.Fatalf("gamma %v, channels %v: gradient %d[%d] = %v from the saved T, %v computed", gamma, channels, j, i, fromSaved[j].F32[i], v)
					}
				}
			}
		}
	}
}
