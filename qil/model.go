package qil

import (
	"fmt"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Small graph edits the quantizer needs. Each leaves the model's other
// fields as they were.

// clone deep-copies m through the codec.
func clone(m *onnx.Model) (*onnx.Model, error) {
	b, err := onnx.Encode(m)
	if err != nil {
		return nil, err
	}
	return onnx.Decode(b)
}

func floatTensor(name string, shape []int, v []float32) *onnx.Tensor {
	t, err := tensor.ToONNX(tensor.FromF32(shape, v), name)
	if err != nil {
		panic(err) // shape and data agree by construction
	}
	return t
}

func intAttr(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

// constantValue returns the value of name when it is an initializer or
// computed from initializers alone (mnist-8's MatMul weight is a Reshape
// of one), else nil.
func constantValue(m *onnx.Model, g *graph.Graph, name string) (*tensor.Tensor, error) {
	if t := g.Initializer(name); t != nil {
		return tensor.FromONNX(t)
	}
	p := g.Producer(name)
	if p == nil || !onnx.IsDefaultDomain(p.Domain) {
		return nil, nil
	}
	in := make([]*tensor.Tensor, len(p.Input))
	for i, n := range p.Input {
		if n == "" {
			continue
		}
		v, err := constantValue(m, g, n)
		if v == nil || err != nil {
			return nil, err
		}
		in[i] = v
	}
	outs, err := exec.EvalNode(p, m.OpsetVersion(""), in)
	if err != nil {
		return nil, err
	}
	for i, o := range p.Output {
		if o == name && i < len(outs) {
			return outs[i], nil
		}
	}
	return nil, nil
}

// tidy drops nodes whose outputs nobody reads (and that are not graph
// outputs), then initializers nobody reads, then sorts the nodes
// topologically, as ONNX requires of a file.
func tidy(m *onnx.Model) error {
	g := m.Graph
	for {
		used := map[string]bool{}
		for _, o := range g.Output {
			used[o.Name] = true
		}
		for _, n := range g.Node {
			for _, in := range n.Input {
				used[in] = true
			}
		}
		kept := g.Node[:0]
		removed := false
		for _, n := range g.Node {
			live := false
			for _, o := range n.Output {
				live = live || used[o]
			}
			if live {
				kept = append(kept, n)
			} else {
				removed = true
			}
		}
		g.Node = kept
		if !removed {
			inits := g.Initializer[:0]
			dropped := map[string]bool{}
			for _, t := range g.Initializer {
				if used[t.Name] {
					inits = append(inits, t)
				} else {
					dropped[t.Name] = true
				}
			}
			g.Initializer = inits
			// IR 3 files (mnist-8) list initializers among the graph
			// inputs too; a dropped one must go from there as well.
			ins := g.Input[:0]
			for _, in := range g.Input {
				if !dropped[in.Name] {
					ins = append(ins, in)
				}
			}
			g.Input = ins
			break
		}
	}
	ix, err := graph.New(g)
	if err != nil {
		return fmt.Errorf("qil: the edited graph is malformed: %w", err)
	}
	g.Node = append([]*onnx.Node(nil), ix.Order()...)
	// Shapes recorded for intermediate values may be stale after an edit.
	g.ValueInfo = nil
	return nil
}

func dropOpset(m *onnx.Model, domain string) {
	kept := m.OpsetImport[:0]
	for _, o := range m.OpsetImport {
		if o.Domain != domain {
			kept = append(kept, o)
		}
	}
	m.OpsetImport = kept
}

func graphOf(m *onnx.Model) (*graph.Graph, error) {
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, fmt.Errorf("qil: %w", err)
	}
	return g, nil
}
