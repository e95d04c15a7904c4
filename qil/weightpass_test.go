package qil

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
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
			outs, saved, err := weightForward(&train.NodeForward{Node: n, Opset: 1, Mode: train.ModeTrain, In: in})
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

// TestWeightQuantizerRecyclesItsBuffers trains fashion-dwnet's QIL form
// (every layer at 4 bits, gamma moved off 1 so that ln u matters, and a
// large step so that weights cross their intervals' ends between steps)
// for four steps in two nets, with and without buffer reuse: with reuse
// the weight quantizer writes into the last step's output, saved T and
// ln u and gradient buffers (whose stale values must not leak), every
// gradient of every step is the same to the bit, and a step allocates
// under a tenth of what it does without.
func TestWeightQuantizerRecyclesItsBuffers(t *testing.T) {
	run, err := NewRun(context.Background(), fashionDwnet(t), fashionImages(t, 128), Config{Options: Options{Bits: Bits{4, 4}, KeepFP: []string{}}, Schedule: "direct", CalibrationImages: 64})
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := run.data.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	allocated := map[bool]int64{}
	steps := func(reuse bool) [][]float32 {
		net, err := train.NewNet(run.model, train.NetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		net.ReuseBuffers(reuse)
		for _, p := range net.Params {
			if strings.HasSuffix(p.Name, "_w_gamma") {
				p.Value.F32[0] = 0.7
			}
		}
		var grads [][]float32
		var ms runtime.MemStats
		for step := range 4 {
			if step == 2 {
				runtime.ReadMemStats(&ms)
				allocated[reuse] = -int64(ms.TotalAlloc)
			}
			p, err := net.Forward(map[string]*tensor.Tensor{net.InputNames()[0]: x}, train.ModeTrain)
			if err != nil {
				t.Fatal(err)
			}
			d := tensor.New(tensor.Float32, p.Logits().Shape)
			for i := range d.F32 {
				d.F32[i] = float32((i+step)%7) - 3
			}
			if err := net.Backward(p, d); err != nil {
				t.Fatal(err)
			}
			for _, prm := range net.Params {
				grads = append(grads, append([]float32(nil), prm.Grad.F32...))
				if !strings.Contains(prm.Name, "_qil_") {
					for i, g := range prm.Grad.F32 {
						prm.Value.F32[i] -= 0.05 * g
					}
				}
			}
		}
		runtime.ReadMemStats(&ms)
		allocated[reuse] += int64(ms.TotalAlloc)
		return grads
	}
	a, b := steps(true), steps(false)
	// Every activation, saved transform and gradient is recycled: what is
	// left is small per-node bookkeeping (1.9 MB against 183 MB a step).
	t.Logf("allocated in the last two steps: %d bytes with reuse, %d without", allocated[true], allocated[false])
	if allocated[true]*10 > allocated[false] {
		t.Errorf("with buffer reuse the last two steps allocated %d bytes, over a tenth of the %d without", allocated[true], allocated[false])
	}
	if len(a) != len(b) {
		t.Fatalf("%d gradients with reuse, %d without", len(a), len(b))
	}
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				t.Fatalf("gradient %d[%d] = %v with buffer reuse, %v without", i, j, a[i][j], b[i][j])
			}
		}
	}
}
