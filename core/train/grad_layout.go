package train

import (
	"fmt"
	"strings"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Backward rules of the ops that only move data. Reshapes pass the
// gradient through unchanged. The others (Slice, Transpose, Pad, Concat,
// Split, Expand, Tile, Gather) run their own forward kernel once on a
// tensor holding each element's index, which yields, for every output
// element, the input element it came from; the gradient is then scattered
// back along that map. The rules thereby agree with the forward kernels on
// every attribute and opset (negative steps, reflect padding, ...) by
// construction. Maps are cached per node and input shapes.

func init() {
	for _, op := range []string{"Flatten", "Reshape", "Squeeze", "Unsqueeze"} {
		registerViewGrad(op, reshapeGrad, 0)
	}
	for _, op := range []string{"Slice", "Transpose", "Pad", "Expand", "Tile", "Gather", "Split"} {
		registerGrad(op, routedGrad, 0)
	}
	registerGrad("Concat", routedGrad)
}

// reshapeGrad: the gradient is the output gradient seen with the input's
// shape (the accumulator reshapes it).
func reshapeGrad(c *gradContext) ([]*tensor.Tensor, error) {
	return []*tensor.Tensor{c.dOut[0]}, nil
}

type routeKey struct {
	node *onnx.Node
	sig  string
}

// route maps every element of every output to a flat position in the
// concatenation of the routed inputs, or -1 for padding.
type route struct {
	src    [][]int32
	offset []int // where each routed input starts; len = inputs+1
}

// routedInputs lists the inputs whose elements an op moves.
func routedInputs(nd *onnx.Node) []int {
	if nd.OpType == "Concat" {
		idx := make([]int, len(nd.Input))
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return []int{0}
}

func routedGrad(c *gradContext) ([]*tensor.Tensor, error) {
	r, err := c.net.routeFor(c.node, c.in)
	if err != nil {
		return nil, err
	}
	total := r.offset[len(r.offset)-1]
	flat := make([]float32, total)
	for j, src := range r.src {
		if j >= len(c.dOut) || c.dOut[j] == nil {
			continue
		}
		g := c.dOut[j].F32
		if len(g) != len(src) {
			return nil, fmt.Errorf("output %d gradient has %d elements, want %d", j, len(g), len(src))
		}
		for e, s := range src {
			if s >= 0 {
				flat[s] += g[e]
			}
		}
	}
	grads := make([]*tensor.Tensor, len(c.in))
	for k, i := range routedInputs(c.node) {
		if i >= len(c.in) || c.in[i] == nil || !c.need[i] {
			continue
		}
		grads[i] = &tensor.Tensor{DType: tensor.Float32, Shape: append([]int(nil), c.in[i].Shape...), F32: flat[r.offset[k]:r.offset[k+1]]}
	}
	return grads, nil
}

// routeFor builds (or finds in the cache) the index map of node nd for
// these inputs.
func (n *Net) routeFor(nd *onnx.Node, in []*tensor.Tensor) (*route, error) {
	routed := routedInputs(nd)
	isRouted := map[int]bool{}
	for _, i := range routed {
		isRouted[i] = true
	}
	var sig strings.Builder
	cacheable := true
	for i, t := range in {
		if t == nil {
			sig.WriteString("nil;")
			continue
		}
		fmt.Fprint(&sig, t.Shape, ";")
		if !isRouted[i] {
			// Index and shape operands are part of the key when small.
			if t.DType == tensor.Int64 && t.Len() <= 64 {
				fmt.Fprint(&sig, t.I64, ";")
			} else if t.DType == tensor.Int32 && t.Len() <= 64 {
				fmt.Fprint(&sig, t.I32, ";")
			} else {
				cacheable = false
			}
		}
	}
	key := routeKey{nd, sig.String()}
	if r, ok := n.routes[key]; ok {
		return r, nil
	}
	r := &route{offset: make([]int, len(routed)+1)}
	args := append([]*tensor.Tensor(nil), in...)
	for k, i := range routed {
		if i >= len(in) || in[i] == nil {
			r.offset[k+1] = r.offset[k]
			continue
		}
		m := in[i].Len()
		if r.offset[k]+m >= 1<<31-1 {
			return nil, fmt.Errorf("tensor too large for a gradient index map")
		}
		idx := tensor.New(tensor.Int64, in[i].Shape)
		for e := range idx.I64 {
			idx.I64[e] = int64(r.offset[k] + e + 1) // 0 is left for padding
		}
		args[i] = idx
		r.offset[k+1] = r.offset[k] + m
	}
	node := nd
	if nd.OpType == "Pad" {
		node = padWithZero(nd)
		if len(args) > 2 && args[2] != nil {
			args[2] = tensor.FromI64(nil, []int64{0})
		}
	}
	outs, err := exec.EvalNode(node, n.opset, args)
	if err != nil {
		return nil, fmt.Errorf("index map: %w", err)
	}
	for _, o := range outs {
		if o == nil || o.DType != tensor.Int64 {
			r.src = append(r.src, nil)
			continue
		}
		src := make([]int32, len(o.I64))
		for e, v := range o.I64 {
			src[e] = int32(v - 1)
		}
		r.src = append(r.src, src)
	}
	if cacheable {
		n.routes[key] = r
	}
	return r, nil
}

// padWithZero returns a copy of a Pad node whose constant value is 0, so
// padding shows up as index 0 in the map.
func padWithZero(nd *onnx.Node) *onnx.Node {
	c := *nd
	c.Attribute = nil
	for _, a := range nd.Attribute {
		if a.Name != "value" {
			c.Attribute = append(c.Attribute, a)
		}
	}
	return &c
}

func errShape(what string, a, b []int) error {
	return fmt.Errorf("%s: shapes %v and %v do not fit", what, a, b)
}
