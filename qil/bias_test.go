package qil

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// initializers indexes m's initializers by name, decoded.
func initializers(t *testing.T, m *onnx.Model) map[string]*tensor.Tensor {
	t.Helper()
	out := map[string]*tensor.Tensor{}
	for _, it := range m.Graph.Initializer {
		v, err := tensor.FromONNX(it)
		if err != nil {
			t.Fatal(err)
		}
		out[it.Name] = v
	}
	return out
}

// producers indexes m's nodes by output.
func producers(m *onnx.Model) map[string]*onnx.Node {
	out := map[string]*onnx.Node{}
	for _, n := range m.Graph.Node {
		for _, o := range n.Output {
			out[o] = n
		}
	}
	return out
}

// TestExportStoresInt32Biases: in both storages, each quantized Conv of
// mnist-8 (whose CNTK export adds the bias in a separate Add) gets its
// bias as int32 levels behind a DequantizeLinear without zero point,
// scale s_x*s_w (one, or one per output channel as its weights' scales),
// the Add is gone, and the stored bias is the float bias
// rounded to that unit (within half of it). Each Conv's output, before
// its ReLU, moves by no more than that half unit plus float rounding, and
// the predicted classes do not change on the test rows.
func TestExportStoresInt32Biases(t *testing.T) {
	for _, c := range []struct {
		bits    Bits
		storage Storage
	}{{Bits{4, 4}, StorageInt8}, {Bits{3, 2}, StorageInt4}} {
		qm, data, _ := trainedQIL(t, c.bits)
		fb, err := export(qm, &emitter{storage: c.storage, floatBias: true}, "test")
		if err != nil {
			t.Fatal(err)
		}
		ib, err := Export(qm, c.storage, "test")
		if err != nil {
			t.Fatal(err)
		}
		fInits, iInits := initializers(t, fb), initializers(t, ib)
		iProd := producers(ib)
		convs := 0
		for _, n := range ib.Graph.Node {
			if n.OpType != "Conv" {
				continue
			}
			convs++
			if len(n.Input) < 3 || n.Input[2] == "" {
				t.Fatalf("%s %s: Conv %s has no bias input", c.bits, c.storage, n.Name)
			}
			dq := iProd[n.Input[2]]
			if dq == nil || dq.OpType != "DequantizeLinear" || len(dq.Input) != 2 {
				t.Fatalf("%s: bias of %s is not a DequantizeLinear without zero point: %+v", c.storage, n.Name, dq)
			}
			levels, scale := iInits[dq.Input[0]], iInits[dq.Input[1]]
			if levels == nil || levels.DType != tensor.Int32 || scale == nil {
				t.Fatalf("%s: bias of %s is not an int32 initializer with a constant scale", c.storage, n.Name)
			}
			// One weight scale for the layer, or one per output channel
			// (per-channel intervals): the bias unit is s_x*s_w for each.
			sx := iInits[iProd[n.Input[0]].Input[1]].F32[0]
			sw := iInits[iProd[n.Input[1]].Input[1]].F32
			if scale.Len() != len(sw) || len(sw) != 1 && len(sw) != levels.Len() {
				t.Fatalf("%s: bias of %s has %d scales for %d weight scales and %d channels", c.storage, n.Name, scale.Len(), len(sw), levels.Len())
			}
			for k, w := range sw {
				if scale.F32[k] != sx*w {
					t.Fatalf("%s: bias scale %d of %s is %v, want s_x*s_w = %v", c.storage, k, n.Name, scale.F32[k], sx*w)
				}
			}
			// The float export's Add after the same Conv holds the bias.
			var fconv, fadd *onnx.Node
			for _, m := range fb.Graph.Node {
				if m.OpType == "Conv" && m.Name == n.Name {
					fconv = m
				}
			}
			for _, m := range fb.Graph.Node {
				if m.OpType == "Add" && fconv != nil && (m.Input[0] == fconv.Output[0] || m.Input[1] == fconv.Output[0]) {
					fadd = m
				}
			}
			if fadd == nil || fadd.Output[0] != n.Output[0] {
				t.Fatalf("%s: the float export has no bias Add after %s writing %s", c.storage, n.Name, n.Output[0])
			}
			b := fInits[fadd.Input[1]]
			if fadd.Input[0] != fconv.Output[0] {
				b = fInits[fadd.Input[0]]
			}
			for ch, q := range levels.I32 {
				unit := scale.F32[min(ch, scale.Len()-1)]
				if d := math.Abs(float64(float32(q)*unit - b.F32[ch])); d > float64(unit)/2*(1+1e-6) {
					t.Errorf("%s: %s channel %d: int32 bias %v differs from %v by %g, more than half a unit %g", c.storage, n.Name, ch, float32(q)*unit, b.F32[ch], d, unit)
				}
			}
			for _, m := range ib.Graph.Node {
				if m.OpType == "Add" && (m.Input[0] == n.Output[0] || m.Input[1] == n.Output[0]) && iInits[m.Input[1]] != nil && iInits[m.Input[1]].Len() == len(levels.I32) {
					t.Errorf("%s: a per-channel Add still follows %s", c.storage, n.Name)
				}
			}
		}
		if convs != 2 {
			t.Fatalf("%d Convs, want 2", convs)
		}
		xs := rows(t, data, 16)
		compareConvOutputs(t, fb, ib, xs[0])
		want, got := runAll(t, fb, xs), runAll(t, ib, xs)
		for i := range want {
			if tensor.Argmax(want[i]) != tensor.Argmax(got[i]) {
				t.Errorf("%s %s: image %d: class %d with float biases, %d with int32", c.bits, c.storage, i, tensor.Argmax(want[i]), tensor.Argmax(got[i]))
			}
		}
	}
}

// compareConvOutputs checks that the first quantized Conv's output (the
// Add's in the float form, the Conv's own in the int32 form) differs by at
// most half the bias unit plus float rounding of the output's size; later
// layers see inputs that may fall on other levels, so only the first
// isolates the bias rounding.
func compareConvOutputs(t *testing.T, fb, ib *onnx.Model, x *tensor.Tensor) {
	t.Helper()
	run := func(m *onnx.Model) map[string]*tensor.Tensor {
		s, err := exec.NewSession(m)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.RunWith(context.Background(), map[string]*tensor.Tensor{m.Graph.Input[0].Name: x}, exec.RunOptions{KeepAll: true})
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	fv, iv := run(fb), run(ib)
	inits := initializers(t, ib)
	prod := producers(ib)
	for _, n := range ib.Graph.Node {
		if n.OpType != "Conv" {
			continue
		}
		units := inits[prod[n.Input[2]].Input[1]].F32 // one, or one per channel
		a, b := fv[n.Output[0]], iv[n.Output[0]]
		perUnit := len(a.F32) / len(units) // x is one image: [1, C, H, W]
		peak := 0.0
		for _, v := range a.F32 {
			peak = max(peak, math.Abs(float64(v)))
		}
		for i := range a.F32 {
			unit := units[i/perUnit]
			if d := math.Abs(float64(a.F32[i] - b.F32[i])); d > float64(unit)/2+1e-6*peak {
				t.Errorf("%s: output %d moves by %g with the int32 bias, more than half its channel's unit %g plus rounding", n.Name, i, d, unit)
				return
			}
		}
		return // only the first Conv has identical inputs in both forms
	}
}

// TestBiasBeyondInt32StaysFloat: a bias that would need more than int32
// at its layer's unit is kept in float, and metadata_props says so,
// rather than wrapping around.
func TestBiasBeyondInt32StaysFloat(t *testing.T) {
	qm, _, _ := trainedQIL(t, Bits{4, 4})
	qm, err := clone(qm)
	if err != nil {
		t.Fatal(err)
	}
	// Make the second Conv's bias (the constant of its Add) enormous.
	var conv *onnx.Node
	for _, n := range qm.Graph.Node {
		if n.OpType == "Conv" {
			conv = n
		}
	}
	var biasName string
	for _, n := range qm.Graph.Node {
		if n.OpType == "Add" && n.Input[0] == conv.Output[0] {
			biasName = n.Input[1]
		}
	}
	for _, it := range qm.Graph.Initializer {
		if it.Name == biasName {
			v, err := tensor.FromONNX(it)
			if err != nil {
				t.Fatal(err)
			}
			v.F32[0] = 1e30
			nt, err := tensor.ToONNX(v, it.Name)
			if err != nil {
				t.Fatal(err)
			}
			*it = *nt
		}
	}
	ex, err := Export(qm, StorageInt8, "test")
	if err != nil {
		t.Fatal(err)
	}
	int32s := 0
	for _, it := range ex.Graph.Initializer {
		if it.DataType == onnx.Int32 {
			int32s++
		}
	}
	if int32s != 1 {
		t.Errorf("%d int32 biases, want 1 (the first Conv's; the second overflows)", int32s)
	}
	var recipe string
	for _, e := range ex.MetadataProps {
		if e.Key == "pare.quantization" {
			recipe = e.Value
		}
	}
	if !strings.Contains(recipe, "float bias") || !strings.Contains(recipe, "beyond int32") {
		t.Errorf("metadata does not note the float bias: %q", recipe)
	}
	if _, err := exec.NewSession(ex); err != nil {
		t.Fatal(err)
	}
}

// TestPTQBiasesPerChannel: min-max PTQ quantizes weights per output
// channel, so each int32 bias has one scale s_x*s_w[c] per channel along
// axis 0.
func TestPTQBiasesPerChannel(t *testing.T) {
	m, data := smallMnist(t, 128)
	for _, storage := range []Storage{StorageInt8, StorageInt4} {
		q, _, err := PTQ(context.Background(), m, data, Options{Bits: Bits{4, 4}, KeepFP: []string{}}, 64, storage)
		if err != nil {
			t.Fatal(err)
		}
		inits, prod := initializers(t, q), producers(q)
		convs := 0
		for _, n := range q.Graph.Node {
			if n.OpType != "Conv" {
				continue
			}
			convs++
			dq := prod[n.Input[2]]
			if dq == nil || dq.OpType != "DequantizeLinear" || len(dq.Input) != 2 || dq.AttrInt("axis", 1) != 0 {
				t.Fatalf("%s: bias of %s is not a per-axis (0) DequantizeLinear without zero point", storage, n.Name)
			}
			sx := inits[prod[n.Input[0]].Input[1]].F32[0]
			sw := inits[prod[n.Input[1]].Input[1]].F32
			sb := inits[dq.Input[1]].F32
			if inits[dq.Input[0]].DType != tensor.Int32 || len(sb) != len(sw) || len(sw) < 2 {
				t.Fatalf("%s: %s: bias scales %v for weight scales %v", storage, n.Name, sb, sw)
			}
			for c := range sw {
				if sb[c] != sx*sw[c] {
					t.Errorf("%s: %s channel %d: bias scale %v, want %v", storage, n.Name, c, sb[c], sx*sw[c])
				}
			}
		}
		if convs != 2 {
			t.Fatalf("%d Convs, want 2", convs)
		}
	}
}
