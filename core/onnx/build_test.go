package onnx

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// everyTypeTensors returns one tensor per ONNX data type, each carrying its
// values in the typed field the specification assigns to it, plus one
// with raw_data.
func everyTypeTensors() []*Tensor {
	var ts []*Tensor
	add := func(dt DataType, t *Tensor) {
		t.DataType = dt
		t.Name = "t_" + dt.String()
		t.Dims = []int64{2}
		ts = append(ts, t)
	}
	add(Float, &Tensor{FloatData: []float32{1.5, float32(math.Inf(-1))}})
	for _, dt := range []DataType{Uint8, Int8, Uint16, Int16, Int32, Bool, Float16, BFloat16,
		Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Uint4, Int4, Float4E2M1} {
		add(dt, &Tensor{Int32Data: []int32{-3, 7}})
	}
	add(Int64, &Tensor{Int64Data: []int64{math.MinInt64, math.MaxInt64}})
	add(String, &Tensor{StringData: [][]byte{[]byte("a"), {}}})
	add(Double, &Tensor{DoubleData: []float64{math.Pi, math.Copysign(0, -1)}})
	add(Uint32, &Tensor{Uint64Data: []uint64{0, math.MaxUint32}})
	add(Uint64, &Tensor{Uint64Data: []uint64{1, math.MaxUint64}})
	add(Complex64, &Tensor{FloatData: []float32{1, 2, 3, 4}})
	add(Complex128, &Tensor{DoubleData: []float64{1, 2, 3, 4}})
	add(Float, &Tensor{RawData: []byte{0, 0, 128, 63, 0, 0, 0, 64}, DocString: "raw"})
	ts[len(ts)-1].Name = "t_raw"
	return ts
}

// rawField builds the wire bytes of a length-delimited field.
func rawField(num int32, payload []byte) RawField {
	b := protowire.AppendTag(nil, protowire.Number(num), protowire.BytesType)
	return RawField{Num: num, Bytes: protowire.AppendBytes(b, payload)}
}

// everyKindModel builds a model using every attribute kind (sparse ones as
// unknown raw fields, which is how this codec keeps them), every tensor
// data type, subgraphs, symbolic and unknown dimensions and metadata.
func everyKindModel() *Model {
	floatType := func(dims ...any) *TypeProto {
		shape := &TensorShape{}
		for _, d := range dims {
			switch d := d.(type) {
			case int:
				shape.Dim = append(shape.Dim, &Dimension{Value: int64(d), HasValue: true})
			case string:
				shape.Dim = append(shape.Dim, &Dimension{Param: d})
			case nil:
				shape.Dim = append(shape.Dim, &Dimension{})
			}
		}
		return &TypeProto{TensorType: &TensorType{ElemType: Float, Shape: shape}}
	}
	sub := &Graph{
		Name:   "body",
		Node:   []*Node{{Input: []string{"x"}, Output: []string{"y"}, OpType: "Relu", Name: "inner"}},
		Input:  []*ValueInfo{{Name: "x", Type: floatType(1)}},
		Output: []*ValueInfo{{Name: "y", Type: floatType(1)}},
	}
	tensors := everyTypeTensors()
	sparse := rawField(22, []byte{0x0a, 0x00})
	attrs := []*Attribute{
		{Name: "f", Type: AttrFloat, F: -0.25},
		{Name: "i", Type: AttrInt, I: -7},
		{Name: "s", Type: AttrString, S: []byte("same_upper")},
		{Name: "t", Type: AttrTensor, T: tensors[0]},
		{Name: "g", Type: AttrGraph, G: sub},
		{Name: "floats", Type: AttrFloats, Floats: []float32{1, 2.5}},
		{Name: "ints", Type: AttrInts, Ints: []int64{0, -1, 1 << 40}},
		{Name: "strings", Type: AttrStrings, Strings: [][]byte{[]byte("a"), []byte("bc")}},
		{Name: "tensors", Type: AttrTensors, Tensors: tensors[1:3]},
		{Name: "graphs", Type: AttrGraphs, Graphs: []*Graph{sub, {Name: "empty"}}},
		{Name: "sparse", Type: AttrSparseTensor, Unknown: []RawField{sparse}},
		{Name: "sparses", Type: AttrSparseTensors, Unknown: []RawField{rawField(23, nil), rawField(23, []byte{0x12, 0x00})}},
		{Name: "tp", Type: AttrTypeProto, TP: floatType(3, "N", nil)},
		{Name: "tps", Type: AttrTypeProtos, TypeProtos: []*TypeProto{floatType(1), {Denotation: "IMAGE"}}},
		{Name: "ref", Type: AttrInt, RefAttrName: "outer", DocString: "refers to a function attribute"},
	}
	return &Model{
		IRVersion:       10,
		OpsetImport:     []*OperatorSet{{Version: 21}, {Domain: "com.example", Version: 1}},
		ProducerName:    "pare-test",
		ProducerVersion: "0",
		Domain:          "org.pare",
		ModelVersion:    3,
		DocString:       "every kind",
		Graph: &Graph{
			Name: "main",
			Node: []*Node{
				{Input: []string{"in", ""}, Output: []string{"out"}, Name: "n0", OpType: "Custom", Domain: "com.example",
					Attribute: attrs, DocString: "node doc", Overload: "ov",
					MetadataProps: []*StringEntry{{Key: "k", Value: "v"}}},
			},
			Initializer:   tensors,
			DocString:     "graph doc",
			Input:         []*ValueInfo{{Name: "in", Type: floatType("N", 3, 224, 224), DocString: "input"}},
			Output:        []*ValueInfo{{Name: "out", Type: floatType(nil), MetadataProps: []*StringEntry{{Key: "a", Value: "b"}}}},
			ValueInfo:     []*ValueInfo{{Name: "mid", Type: &TypeProto{TensorType: &TensorType{ElemType: Int64}}}},
			MetadataProps: []*StringEntry{{Key: "g", Value: "1"}},
			Unknown:       []RawField{rawField(15, []byte{0x42, 0x01, 'w'})},
		},
		MetadataProps: []*StringEntry{{Key: "recipe", Value: "none"}},
		Unknown:       []RawField{rawField(25, []byte{0x0a, 0x01, 'f'})},
	}
}
