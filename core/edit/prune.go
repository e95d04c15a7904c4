package edit

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// Pruned lists what Prune removed, in graph order.
type Pruned struct {
	Nodes        []*onnx.Node
	Initializers []*onnx.Tensor
	// Inputs are graph inputs removed with their initializer (IR 3 models
	// list every initializer among the inputs).
	Inputs    []*onnx.ValueInfo
	ValueInfo []*onnx.ValueInfo
}

// Empty reports whether nothing was removed.
func (p *Pruned) Empty() bool {
	return len(p.Nodes)+len(p.Initializers)+len(p.Inputs)+len(p.ValueInfo) == 0
}

// Prune removes what no longer contributes to a graph output: nodes none
// of whose outputs is read (by a later node, by a subgraph, or as a graph
// output), transitively; the initializers nothing reads, with the graph
// input that lists one in IR 3 models; and the value_info of values that
// no longer exist. Graph inputs a caller feeds and graph outputs always
// stay. Subgraphs are not pruned inside.
func Prune(g *onnx.Graph) (*Pruned, error) {
	x, err := graph.New(g)
	if err != nil {
		return nil, fmt.Errorf("edit: cannot prune: %w", err)
	}
	// reads[n]: every value node n reads, its subgraphs' captures included
	// (graph.Graph lists those among the consumers).
	reads := map[*onnx.Node][]string{}
	addReaders := func(name string) {
		for _, c := range x.Consumers(name) {
			reads[c] = append(reads[c], name)
		}
	}
	for _, t := range g.Initializer {
		addReaders(t.Name)
	}
	for _, vi := range g.Input {
		addReaders(vi.Name)
	}
	for _, n := range g.Node {
		for _, o := range n.Output {
			if o != "" {
				addReaders(o)
			}
		}
	}

	live := map[string]bool{}
	for _, o := range g.Output {
		live[o.Name] = true
	}
	liveNode := map[*onnx.Node]bool{}
	order := x.Order()
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if !slices.ContainsFunc(n.Output, func(o string) bool { return live[o] }) {
			continue
		}
		liveNode[n] = true
		for _, name := range reads[n] {
			live[name] = true
		}
	}

	p := &Pruned{}
	defined := map[string]bool{}
	g.Node = keep(g.Node, &p.Nodes, func(n *onnx.Node) bool {
		if !liveNode[n] {
			return false
		}
		for _, o := range n.Output {
			defined[o] = true
		}
		return true
	})
	droppedInit := map[string]bool{}
	g.Initializer = keep(g.Initializer, &p.Initializers, func(t *onnx.Tensor) bool {
		if live[t.Name] {
			defined[t.Name] = true
			return true
		}
		droppedInit[t.Name] = true
		return false
	})
	g.Input = keep(g.Input, &p.Inputs, func(vi *onnx.ValueInfo) bool {
		defined[vi.Name] = true
		return !droppedInit[vi.Name]
	})
	g.ValueInfo = keep(g.ValueInfo, &p.ValueInfo, func(vi *onnx.ValueInfo) bool {
		return vi != nil && defined[vi.Name]
	})
	return p, nil
}

// keep filters s into a new slice, appending what it drops to dropped.
// When nothing is dropped s itself is returned, so an untouched field
// stays exactly as decoded.
func keep[T any](s []T, dropped *[]T, ok func(T) bool) []T {
	var out []T
	changed := false
	for i, v := range s {
		if ok(v) {
			if changed {
				out = append(out, v)
			}
			continue
		}
		if !changed {
			changed = true
			out = append(make([]T, 0, len(s)-1), s[:i]...)
		}
		*dropped = append(*dropped, v)
	}
	if !changed {
		return s
	}
	return out
}
