package graph

import (
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// fuzzAttrs are attribute names the shape rules read; the fuzzer gives
// them arbitrary (often nonsensical) values.
var fuzzAttrs = []string{
	"kernel_shape", "strides", "pads", "dilations", "axis", "axes", "perm",
	"group", "split", "starts", "ends", "shape", "to", "blocksize",
	"keepdims", "num_outputs", "output_padding", "output_shape",
	"allowzero", "start", "end", "k", "transA", "transB", "ceil_mode",
	"noop_with_empty_axes", "broadcast",
}

var fuzzOpsets = []int64{1, 6, 7, 9, 10, 11, 13, 14, 15, 17, 18, 19, 21}

// fuzzModel builds a one-node model from data: op, opset, input shapes,
// integer initializers and attributes all come from the bytes.
func fuzzModel(data []byte) *onnx.Model {
	pos := 0
	next := func() int {
		if pos >= len(data) {
			return 0
		}
		b := data[pos]
		pos++
		return int(b)
	}
	small := func() int64 { return int64(next()%11) - 3 } // -3..7
	ops := sortedOps()
	op := ops[next()%len(ops)]
	b := newModel(fuzzOpsets[next()%len(fuzzOpsets)])
	nIn := next() % 5
	var in []string
	for i := 0; i < nIn; i++ {
		name := string(rune('a' + i))
		switch next() % 4 {
		case 0:
			in = append(in, "") // omitted optional input
			continue
		case 1: // int64 initializer: shape-like argument
			n := next() % 6
			vals := make([]int64, n)
			for j := range vals {
				vals[j] = small()
			}
			if next()%3 == 0 && n == 1 {
				b.ints(name, []int64{}, vals...)
			} else {
				b.vec(name, vals...)
			}
		default: // float graph input of random rank and dims
			rank := next() % 6
			dims := make([]int64, rank)
			for j := range dims {
				dims[j] = int64(next() % 7)
			}
			b.input(name, dims...)
		}
		in = append(in, name)
	}
	var attrs []*onnx.Attribute
	for nAttr := next() % 5; nAttr > 0; nAttr-- {
		name := fuzzAttrs[next()%len(fuzzAttrs)]
		if next()%2 == 0 {
			attrs = append(attrs, aInt(name, small()))
		} else {
			n := next() % 7
			v := make([]int64, n)
			for j := range v {
				v[j] = small()
			}
			attrs = append(attrs, aInts(name, v...))
		}
	}
	if next()%4 == 0 {
		attrs = append(attrs, aString("auto_pad", []string{"SAME_UPPER", "VALID", "SAME_LOWER", "bogus"}[next()%4]))
	}
	outs := []string{"y"}
	for k := next() % 3; k > 0; k-- {
		outs = append(outs, "y"+string(rune('0'+k)))
	}
	b.node(op, in, outs, attrs...).output("y")
	return b.m
}

func sortedOps() []string {
	out := make([]string, 0, len(rules))
	for op := range rules {
		out = append(out, op)
	}
	// Insertion sort keeps the fuzz input -> op mapping stable.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// FuzzInferShapes feeds nonsense attributes and shapes to every shape
// rule: they must return errors, never panic (InferShapes turns a panic
// into an error mentioning it, which fails this test).
func FuzzInferShapes(f *testing.F) {
	f.Add([]byte{0, 5, 2, 2, 4, 1, 3, 28, 28, 2, 4, 8, 1, 3, 3, 1, 1, 0, 1})
	f.Add([]byte{10, 3, 3, 2, 3, 2, 0, 5, 1, 4, 250, 1, 1, 255, 255})
	f.Add([]byte{40, 7, 2, 1, 5, 9, 9, 9, 1, 9, 3, 200, 1, 2, 3, 4, 5, 6})
	f.Add([]byte("Conv with zero strides and negative kernels"))
	f.Add([]byte("\x07\x03\x02\x02\x04\x01\x02\x03\x04\x01\x02\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := fuzzModel(data)
		_, err := InferShapes(m, nil, miniEvalSafe)
		if err != nil && strings.Contains(err.Error(), "panicked") {
			t.Fatalf("%s: %v", m.Graph.Node[0].OpType, err)
		}
	})
}

// TestFuzzCorpusAllOps runs every op through a deterministic sweep of the
// fuzz generator, so plain `go test` covers the robustness check.
func TestFuzzCorpusAllOps(t *testing.T) {
	ops := sortedOps()
	for i := range ops {
		for seed := 0; seed < 40; seed++ {
			data := []byte{byte(i)}
			x := uint32(seed*2654435761 + i)
			for k := 0; k < 40; k++ {
				x ^= x << 13
				x ^= x >> 17
				x ^= x << 5
				data = append(data, byte(x))
			}
			m := fuzzModel(data)
			if _, err := InferShapes(m, nil, miniEvalSafe); err != nil && strings.Contains(err.Error(), "panicked") {
				t.Fatalf("%s: %v", m.Graph.Node[0].OpType, err)
			}
		}
	}
}

// miniEvalSafe is miniEval with its own panics turned into errors: the
// test evaluator is not what is under test here.
func miniEvalSafe(n *onnx.Node, opset int64, in []*tensorT) (out []*tensorT, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errEval
		}
	}()
	return miniEval(n, opset, in)
}
