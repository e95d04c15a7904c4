//go:build !js

package onnxgooracle_test

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	onnxgo "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	gt "gorgonia.org/tensor"

	"github.com/pare-ml/pare/core/tensor"
)

// errOnnxGo marks every way onnx-go can fail to produce outputs: the
// test treats them all as "onnx-go cannot run it", never as Pare's fault.
var errOnnxGo = errors.New("onnx-go")

// runOnnxGoRecovered runs modelBytes on onnx-go with the gorgonnx backend
// and returns its outputs in graph output order. Panics on this goroutine
// are recovered into errors; gorgonia executes the graph on a goroutine
// of its own, where a panic cannot be recovered, which is why this runs
// in a child process (see child_test.go).
func runOnnxGoRecovered(modelBytes []byte, inputs []namedTensor) (outs []*tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			outs, err = nil, fmt.Errorf("%w: panic: %v (at %s)", errOnnxGo, r, panicSite(strings.Split(string(debug.Stack()), "\n")))
		}
	}()
	backend := gorgonnx.NewGraph()
	model := onnxgo.NewModel(backend)
	if err := model.UnmarshalBinary(modelBytes); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", errOnnxGo, err)
	}
	byName := map[string]*tensor.Tensor{}
	for _, in := range inputs {
		byName[in.name] = in.t
	}
	// onnx-go's SetInput(i) looks nodes up by i rather than by the input's
	// node ID, so the inputs are set on the nodes directly, by name.
	for _, id := range model.Input {
		node, ok := backend.Node(id).(*gorgonnx.Node)
		if !ok {
			return nil, fmt.Errorf("%w: input node %d is %T, not a gorgonnx node", errOnnxGo, id, backend.Node(id))
		}
		t, ok := byName[node.GetName()]
		if !ok {
			return nil, fmt.Errorf("%w: graph input %q has no value (onnx-go did not treat it as an initializer)", errOnnxGo, node.GetName())
		}
		gv, err := toGorgonia(t)
		if err != nil {
			return nil, fmt.Errorf("%w: input %q: %v", errOnnxGo, node.GetName(), err)
		}
		if err := node.SetTensor(gv); err != nil {
			return nil, fmt.Errorf("%w: setting input %q: %v", errOnnxGo, node.GetName(), err)
		}
	}
	if err := backend.Run(); err != nil {
		return nil, fmt.Errorf("%w: run: %v", errOnnxGo, err)
	}
	gouts, err := model.GetOutputTensors()
	if err != nil {
		return nil, fmt.Errorf("%w: outputs: %v", errOnnxGo, err)
	}
	for i, g := range gouts {
		t, err := fromGorgonia(g)
		if err != nil {
			return nil, fmt.Errorf("%w: output %d: %v", errOnnxGo, i, err)
		}
		outs = append(outs, t)
	}
	return outs, nil
}

// toGorgonia copies a Pare tensor into a gorgonia dense tensor.
func toGorgonia(t *tensor.Tensor) (gt.Tensor, error) {
	var backing any
	switch t.DType {
	case tensor.Float32:
		backing = append([]float32(nil), t.F32...)
	case tensor.Float64:
		backing = append([]float64(nil), t.F64...)
	case tensor.Int64:
		backing = append([]int64(nil), t.I64...)
	case tensor.Int32:
		backing = append([]int32(nil), t.I32...)
	case tensor.Int8:
		backing = append([]int8(nil), t.I8...)
	case tensor.Uint8:
		backing = append([]uint8(nil), t.U8...)
	case tensor.Bool:
		backing = append([]bool(nil), t.Bool...)
	default:
		return nil, fmt.Errorf("element type %v has no gorgonia equivalent", t.DType)
	}
	if len(t.Shape) == 0 {
		return gt.New(gt.FromScalar(firstElement(backing))), nil
	}
	return gt.New(gt.WithShape(t.Shape...), gt.WithBacking(backing)), nil
}

// firstElement returns element 0 of a typed slice as a scalar.
func firstElement(backing any) any {
	switch s := backing.(type) {
	case []float32:
		return s[0]
	case []float64:
		return s[0]
	case []int64:
		return s[0]
	case []int32:
		return s[0]
	case []int8:
		return s[0]
	case []uint8:
		return s[0]
	case []bool:
		return s[0]
	}
	panic(fmt.Sprintf("firstElement: unexpected %T", backing))
}

// fromGorgonia copies a gorgonia tensor into a Pare tensor, in logical
// (row-major) order even when the gorgonia tensor is a view.
func fromGorgonia(g gt.Tensor) (*tensor.Tensor, error) {
	if g == nil {
		return nil, errors.New("no tensor (onnx-go left the output unset)")
	}
	if d, ok := g.(*gt.Dense); ok && d.IsMaterializable() {
		g = d.Materialize()
	}
	shape := append([]int(nil), g.Shape()...)
	if g.Shape().IsScalar() {
		shape = nil
	}
	var t *tensor.Tensor
	switch data := g.Data().(type) {
	case []float32:
		t = &tensor.Tensor{DType: tensor.Float32, F32: append([]float32(nil), data...)}
	case float32:
		t = &tensor.Tensor{DType: tensor.Float32, F32: []float32{data}}
	case []float64:
		t = &tensor.Tensor{DType: tensor.Float64, F64: append([]float64(nil), data...)}
	case float64:
		t = &tensor.Tensor{DType: tensor.Float64, F64: []float64{data}}
	case []int64:
		t = &tensor.Tensor{DType: tensor.Int64, I64: append([]int64(nil), data...)}
	case int64:
		t = &tensor.Tensor{DType: tensor.Int64, I64: []int64{data}}
	case []int32:
		t = &tensor.Tensor{DType: tensor.Int32, I32: append([]int32(nil), data...)}
	case []int8:
		t = &tensor.Tensor{DType: tensor.Int8, I8: append([]int8(nil), data...)}
	case []uint8:
		t = &tensor.Tensor{DType: tensor.Uint8, U8: append([]uint8(nil), data...)}
	case []bool:
		t = &tensor.Tensor{DType: tensor.Bool, Bool: append([]bool(nil), data...)}
	default:
		return nil, fmt.Errorf("output data of type %T is not handled", data)
	}
	t.Shape = shape
	if n := tensor.NumElements(shape); n != elementCount(t) {
		return nil, fmt.Errorf("output shape %v holds %d values but gorgonia returned %d", shape, n, elementCount(t))
	}
	return t, nil
}

// elementCount is the length of t's data slice.
func elementCount(t *tensor.Tensor) int {
	return len(t.F32) + len(t.F64) + len(t.I64) + len(t.I32) + len(t.I8) + len(t.U8) + len(t.Bool)
}
