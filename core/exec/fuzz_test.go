package exec

import (
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// fuzzOps are the kernels of this package's files exercised by FuzzKernels.
var fuzzOps = []string{
	"Add", "Sub", "Mul", "Div", "Pow", "Sum", "Max", "Min", "Mean", "Relu", "Neg", "Abs", "Sqrt", "Exp",
	"LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSwish", "Softmax", "LogSoftmax", "Flatten", "Reshape",
	"Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Pad", "Identity", "Dropout",
	"ConstantOfShape", "Shape", "Gather", "ReduceMean", "ReduceSum", "ReduceMax", "Cast", "Resize",
	"Upsample", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "Expand", "Where", "Equal",
	"Less", "Greater", "Not", "Range", "Tile", "LRN", "CastLike", "Round",
}

var fuzzTypes = []tensor.DType{tensor.Float32, tensor.Int64, tensor.Int32, tensor.Int8, tensor.Uint8, tensor.Bool, tensor.Float64}

// byteReader hands out fuzz bytes, then zeros.
type byteReader struct{ b []byte }

func (r *byteReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

// small returns a value in [-4, 11]: attribute and index values that hit
// the edge cases (negative axes, out-of-range, zero) without allocating
// much.
func (r *byteReader) small() int64 { return int64(r.next()%16) - 4 }

func (r *byteReader) tensor() *tensor.Tensor {
	rank := r.next() % 4
	shape := make([]int, rank)
	for i := range shape {
		shape[i] = r.next() % 4
	}
	t := tensor.New(fuzzTypes[r.next()%len(fuzzTypes)], shape)
	for i := 0; i < t.Len(); i++ {
		setFromInt(t, i, r.small())
		if t.DType == tensor.Float32 {
			t.F32[i] = float32(r.small()) / 2
		}
	}
	return t
}

// FuzzKernels feeds random small tensors and attributes to every kernel of
// this package: a kernel may refuse them with an error but must never
// panic (runKernel reports a panic as an "internal error").
func FuzzKernels(f *testing.F) {
	f.Add([]byte{0, 13, 2, 2, 2, 0, 1, 2, 2, 0})
	f.Add([]byte{28, 13, 2, 1, 3, 0, 1, 0, 0, 255, 3})
	f.Add([]byte{39, 13, 3, 4, 1, 1, 2, 2, 0, 1, 1, 4, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &byteReader{b: data}
		op := fuzzOps[r.next()%len(fuzzOps)]
		opset := int64(1 + r.next()%22)
		nIn := r.next() % 5
		in := make([]*tensor.Tensor, nIn)
		names := make([]string, nIn)
		for i := range in {
			if r.next()%8 == 0 {
				continue // omitted optional input
			}
			in[i] = r.tensor()
			names[i] = "i"
		}
		n := mkNode(op, "fuzz", names, []string{"y", "z"}[:1+r.next()%2])
		for _, name := range []string{"axis", "keepdims", "num_outputs", "to", "allowzero", "start", "end", "size", "block_size"} {
			if r.next()%3 == 0 {
				n.Attribute = append(n.Attribute, attrInt(name, r.small()))
			}
		}
		for _, name := range []string{"axes", "perm", "split", "starts", "ends", "pads", "shape"} {
			if r.next()%3 == 0 {
				k := r.next() % 4
				v := make([]int64, k)
				for i := range v {
					v[i] = r.small()
				}
				n.Attribute = append(n.Attribute, &onnx.Attribute{Name: name, Ints: v, Type: onnx.AttrInts})
			}
		}
		for _, kv := range [][2]string{{"mode", "nearest"}, {"mode", "linear"}, {"mode", "reflect"}, {"mode", "edge"}, {"coordinate_transformation_mode", "align_corners"}} {
			if r.next()%4 == 0 {
				n.Attribute = append(n.Attribute, attrString(kv[0], kv[1]))
			}
		}
		_, err := EvalNode(n, opset, in)
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%s opset %d: %v", op, opset, err)
		}
	})
}
