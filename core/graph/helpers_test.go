package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// modelBuilder assembles small models for the shape rule tests.
type modelBuilder struct{ m *onnx.Model }

func newModel(opset int64) *modelBuilder {
	return &modelBuilder{m: &onnx.Model{
		IRVersion:   8,
		OpsetImport: []*onnx.OperatorSet{{Version: opset}},
		Graph:       &onnx.Graph{Name: "test"},
	}}
}

func valueInfo(name string, dt onnx.DataType, dims ...int64) *onnx.ValueInfo {
	shape := &onnx.TensorShape{}
	for _, d := range dims {
		if d < 0 {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Param: "N"})
		} else {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
		}
	}
	return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: dt, Shape: shape}}}
}

// input declares a graph input; a negative dim is symbolic.
func (b *modelBuilder) input(name string, dims ...int64) *modelBuilder {
	b.m.Graph.Input = append(b.m.Graph.Input, valueInfo(name, onnx.Float, dims...))
	return b
}

func (b *modelBuilder) ints(name string, dims []int64, vals ...int64) *modelBuilder {
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: name, DataType: onnx.Int64, Dims: dims, Int64Data: vals})
	return b
}

// vec adds a 1-D int64 initializer.
func (b *modelBuilder) vec(name string, vals ...int64) *modelBuilder {
	return b.ints(name, []int64{int64(len(vals))}, vals...)
}

func (b *modelBuilder) floats(name string, dims []int64, vals ...float32) *modelBuilder {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	if vals == nil {
		vals = make([]float32, n)
	}
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: name, DataType: onnx.Float, Dims: dims, FloatData: vals})
	return b
}

func (b *modelBuilder) node(op string, in, out []string, attrs ...*onnx.Attribute) *modelBuilder {
	b.m.Graph.Node = append(b.m.Graph.Node, &onnx.Node{Name: fmt.Sprintf("n%d_%s", len(b.m.Graph.Node), op), OpType: op, Input: in, Output: out, Attribute: attrs})
	return b
}

func (b *modelBuilder) output(names ...string) *modelBuilder {
	for _, n := range names {
		b.m.Graph.Output = append(b.m.Graph.Output, &onnx.ValueInfo{Name: n})
	}
	return b
}

func aInt(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func aInts(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

func aFloats(name string, v ...float32) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrFloats, Floats: v}
}

func aString(name, v string) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrString, S: []byte(v)}
}

func aTensor(name string, t *onnx.Tensor) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrTensor, T: t}
}

// miniEval is a test-only ConstEval for the int64 ops of PyTorch shape
// chains. It takes output dims from the shape rules, so it tests the
// folding plumbing, not the rules.
func miniEval(n *onnx.Node, opset int64, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	c := &nodeCtx{n: n, opset: opset, in: make([]*Value, len(in))}
	for i, t := range in {
		if t != nil {
			c.in[i] = &Value{DType: t.DType, Dims: t.Shape, Const: t}
		}
	}
	outs, err := rules[n.OpType](c)
	if err != nil {
		return nil, err
	}
	dims := outs[0].Dims
	vals := func(i int) []int64 {
		v, _ := constInts(in[i])
		return v
	}
	var data []int64
	switch n.OpType {
	case "Identity", "Unsqueeze", "Squeeze", "Reshape", "Flatten":
		data = append(data, vals(0)...)
	case "Cast":
		if in[0].DType == tensor.Float32 {
			for _, f := range in[0].F32 {
				data = append(data, int64(f))
			}
		} else {
			data = append(data, vals(0)...)
		}
	case "Gather":
		src := vals(0)
		for _, i := range vals(1) {
			if i < 0 {
				i += int64(len(src))
			}
			if i < 0 || int(i) >= len(src) {
				return nil, fmt.Errorf("index out of range")
			}
			data = append(data, src[i])
		}
	case "Concat":
		for i := range in {
			data = append(data, vals(i)...)
		}
	case "Add", "Sub", "Mul", "Div":
		a, b := vals(0), vals(1)
		size := max(len(a), len(b))
		for i := 0; i < size; i++ {
			x, y := a[i%len(a)], b[i%len(b)]
			switch n.OpType {
			case "Add":
				data = append(data, x+y)
			case "Sub":
				data = append(data, x-y)
			case "Mul":
				data = append(data, x*y)
			default:
				if y == 0 {
					return nil, fmt.Errorf("division by zero")
				}
				data = append(data, x/y)
			}
		}
	case "Slice":
		src := vals(0)
		st, en := vals(1)[0], vals(2)[0]
		first, n := SliceRange(int64(len(src)), st, en, 1)
		data = append(data, src[first:first+n]...)
	case "ConstantOfShape":
		data = make([]int64, tensor.NumElements(dims))
	default:
		return nil, fmt.Errorf("miniEval: %s not supported", n.OpType)
	}
	if outs[0].DType == tensor.Float32 {
		f := make([]float32, len(data))
		for i, v := range data {
			f[i] = float32(v)
		}
		return []*tensor.Tensor{tensor.FromF32(dims, f)}, nil
	}
	return []*tensor.Tensor{tensor.FromI64(dims, data)}, nil
}

type tensorT = tensor.Tensor

var errEval = fmt.Errorf("miniEval failed")

type onnxTensor = onnx.Tensor
