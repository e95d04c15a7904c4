package edit

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// SortNodes puts g's nodes in topological order, moving as little as it
// can: it walks the nodes in their current order and places each one
// after the producers of what it reads (subgraph captures included),
// depth first. A graph already in order is left untouched, and a node
// appended after its readers lands right before the first of them.
//
// Encode writes the nodes in slice order, and ONNX requires that order to
// be topological, so every model written after an edit goes through here
// (WriteModelFile does it). It fails when a node reads a value nothing
// defines or the nodes form a cycle.
func SortNodes(g *onnx.Graph) error {
	x, err := graph.New(g)
	if err != nil {
		return fmt.Errorf("edit: cannot sort the nodes: %w", err)
	}
	index := make(map[*onnx.Node]int, len(g.Node))
	for i, n := range g.Node {
		index[n] = i
	}
	// deps[i]: the nodes producing what node i reads, in file order.
	deps := make([][]int, len(g.Node))
	for i, n := range g.Node {
		for _, o := range n.Output {
			if o == "" {
				continue
			}
			for _, c := range x.Consumers(o) {
				deps[index[c]] = append(deps[index[c]], i)
			}
		}
	}
	type frame struct{ node, next int }
	placed := make([]bool, len(g.Node))
	order := make([]*onnx.Node, 0, len(g.Node))
	var stack []frame
	for i := range g.Node {
		stack = append(stack[:0], frame{node: i})
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if placed[f.node] {
				stack = stack[:len(stack)-1]
				continue
			}
			if f.next < len(deps[f.node]) {
				d := deps[f.node][f.next]
				f.next++
				if !placed[d] {
					// graph.New rejected cycles, so d is not on the stack.
					stack = append(stack, frame{node: d})
				}
				continue
			}
			placed[f.node] = true
			order = append(order, g.Node[f.node])
			stack = stack[:len(stack)-1]
		}
	}
	if !slices.Equal(order, g.Node) {
		g.Node = order
	}
	return nil
}
