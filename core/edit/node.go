package edit

import (
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// nodeIndex returns the position of n in g, or -1.
func nodeIndex(g *onnx.Graph, n *onnx.Node) int {
	for i, x := range g.Node {
		if x == n {
			return i
		}
	}
	return -1
}

// AddNode appends n to g. The new node may read values produced by later
// nodes: SortNodes (and WriteModelFile) put it in order. It fails when one
// of n's outputs is already defined in g.
func AddNode(g *onnx.Graph, n *onnx.Node) error {
	return InsertNode(g, len(g.Node), n)
}

// InsertNode inserts n at position i of g's nodes (clamped to the list),
// the inverse of RemoveNode. It fails like AddNode.
func InsertNode(g *onnx.Graph, i int, n *onnx.Node) error {
	if n == nil {
		return fmt.Errorf("edit: InsertNode of nil")
	}
	for _, o := range n.Output {
		if o == "" {
			continue
		}
		if what := definedAs(g, o); what != "" {
			return fmt.Errorf("edit: cannot add node %s: its output %q is already a %s", graph.NodeLabel(n), o, what)
		}
	}
	i = min(max(i, 0), len(g.Node))
	g.Node = insertAt(g.Node, i, n)
	return nil
}

// RemoveNode removes n from g and returns its position. The values n
// produced are left dangling for the caller to rewire (or for Prune to
// find unread).
func RemoveNode(g *onnx.Graph, n *onnx.Node) (int, error) {
	i := nodeIndex(g, n)
	if i < 0 {
		return -1, fmt.Errorf("edit: node %s is not in graph %q", graph.NodeLabel(n), g.Name)
	}
	g.Node = append(g.Node[:i:i], g.Node[i+1:]...)
	return i, nil
}

// ReplaceNode puts repl in the position of old.
func ReplaceNode(g *onnx.Graph, old, repl *onnx.Node) error {
	i := nodeIndex(g, old)
	if i < 0 {
		return fmt.Errorf("edit: node %s is not in graph %q", graph.NodeLabel(old), g.Name)
	}
	if repl == nil {
		return fmt.Errorf("edit: ReplaceNode with nil")
	}
	g.Node[i] = repl
	return nil
}
