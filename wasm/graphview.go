package main

import (
	"fmt"
	"strings"

	"github.com/pare-ml/pare/core/onnx"
)

// GraphView is the model's graph as the page draws it: graph inputs and
// outputs become nodes of their own (as in Netron), and edges carry the
// tensor that flows along them. Weights (initializers) are not nodes; they
// are listed on the node that uses them.
type GraphView struct {
	Nodes []ViewNode `json:"nodes"`
	Edges []ViewEdge `json:"edges"`
}

// ViewNode is one box of the graph.
type ViewNode struct {
	ID         int        `json:"id"`
	Kind       string     `json:"kind"` // "op", "input" or "output"
	Name       string     `json:"name"`
	Op         string     `json:"op"`
	Domain     string     `json:"domain,omitempty"`
	Attributes []AttrView `json:"attributes,omitempty"`
	Inputs     []PortView `json:"inputs,omitempty"`
	Outputs    []PortView `json:"outputs,omitempty"`
	MACs       int64      `json:"macs"`
	Params     int64      `json:"params"`
	ActBytes   int64      `json:"actBytes"`
	HasWeights bool       `json:"hasWeights,omitempty"`
}

// AttrView is an attribute as text.
type AttrView struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PortView is one input or output of a node: the value's name, its shape
// when known, and whether it is a weight (an initializer).
type PortView struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape,omitempty"`
	Type   string `json:"type,omitempty"`
	Weight bool   `json:"weight,omitempty"`
}

// ViewEdge connects the producer of a value to one consumer.
type ViewEdge struct {
	From  int    `json:"from"`
	To    int    `json:"to"`
	Value string `json:"value"`
	Shape []int  `json:"shape,omitempty"`
}

func (s *Service) graphView(costs *modelCosts) GraphView {
	var v GraphView
	shapes := costs.shapes
	perNode := costs.perNode
	producer := map[string]int{}
	s.nodes = nil
	add := func(n ViewNode, node *onnx.Node) int {
		n.ID = len(v.Nodes)
		v.Nodes = append(v.Nodes, n)
		s.nodes = append(s.nodes, node)
		return n.ID
	}
	for _, in := range s.graph.Inputs() {
		vv := valueView(in)
		id := add(ViewNode{Kind: "input", Name: in.Name, Op: "Input", Outputs: []PortView{{Name: in.Name, Shape: shapes[in.Name], Type: vv.Type}}}, nil)
		producer[in.Name] = id
	}
	for _, n := range s.graph.Order() {
		vn := ViewNode{Kind: "op", Name: n.Name, Op: n.OpType, Domain: n.Domain}
		if c, ok := perNode[n]; ok {
			vn.MACs, vn.Params, vn.ActBytes = c.MACs, c.Params, c.ActBytes
		}
		for _, a := range n.Attribute {
			vn.Attributes = append(vn.Attributes, AttrView{a.Name, attrText(a)})
		}
		for _, name := range n.Input {
			p := PortView{Name: name, Shape: shapes[name]}
			if init := s.graph.Initializer(name); init != nil {
				p.Weight = true
				p.Type = init.DataType.Name()
				p.Shape = dimsInt(init.Dims)
				if len(init.Dims) > 0 {
					vn.HasWeights = true
				}
			}
			vn.Inputs = append(vn.Inputs, p)
		}
		for _, name := range n.Output {
			vn.Outputs = append(vn.Outputs, PortView{Name: name, Shape: shapes[name]})
		}
		id := add(vn, n)
		for _, name := range n.Input {
			if from, ok := producer[name]; ok && name != "" {
				v.Edges = append(v.Edges, ViewEdge{From: from, To: id, Value: name, Shape: shapes[name]})
			}
		}
		for _, name := range n.Output {
			if name != "" {
				producer[name] = id
			}
		}
	}
	for _, out := range s.model.Graph.Output {
		id := add(ViewNode{Kind: "output", Name: out.Name, Op: "Output", Inputs: []PortView{{Name: out.Name, Shape: shapes[out.Name]}}}, nil)
		if from, ok := producer[out.Name]; ok {
			v.Edges = append(v.Edges, ViewEdge{From: from, To: id, Value: out.Name, Shape: shapes[out.Name]})
		}
	}
	return v
}

func dimsInt(d []int64) []int {
	out := make([]int, len(d))
	for i, x := range d {
		out[i] = int(x)
	}
	return out
}

// attrText renders an attribute compactly; long lists and tensors are
// summarised rather than printed in full.
func attrText(a *onnx.Attribute) string {
	const maxList = 16
	list := func(n int, item func(i int) string) string {
		var b strings.Builder
		b.WriteByte('[')
		for i := 0; i < n && i < maxList; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(item(i))
		}
		if n > maxList {
			fmt.Fprintf(&b, ", … (%d in all)", n)
		}
		b.WriteByte(']')
		return b.String()
	}
	switch a.Type {
	case onnx.AttrFloat:
		return fmt.Sprint(a.F)
	case onnx.AttrInt:
		return fmt.Sprint(a.I)
	case onnx.AttrString:
		return string(a.S)
	case onnx.AttrInts:
		return list(len(a.Ints), func(i int) string { return fmt.Sprint(a.Ints[i]) })
	case onnx.AttrFloats:
		return list(len(a.Floats), func(i int) string { return fmt.Sprint(a.Floats[i]) })
	case onnx.AttrStrings:
		return list(len(a.Strings), func(i int) string { return string(a.Strings[i]) })
	case onnx.AttrTensor:
		if a.T != nil {
			return fmt.Sprintf("tensor %s %v", a.T.DataType.Name(), a.T.Dims)
		}
	case onnx.AttrGraph:
		if a.G != nil {
			return fmt.Sprintf("subgraph %q (%d nodes)", a.G.Name, len(a.G.Node))
		}
	case onnx.AttrGraphs:
		return fmt.Sprintf("%d subgraphs", len(a.Graphs))
	case onnx.AttrTensors:
		return fmt.Sprintf("%d tensors", len(a.Tensors))
	}
	switch {
	case len(a.Ints) > 0:
		return list(len(a.Ints), func(i int) string { return fmt.Sprint(a.Ints[i]) })
	case len(a.Floats) > 0:
		return list(len(a.Floats), func(i int) string { return fmt.Sprint(a.Floats[i]) })
	case a.S != nil:
		return string(a.S)
	}
	return fmt.Sprint(a.I)
}
