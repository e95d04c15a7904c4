package edit

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/onnx"
)

// Rename changes the name of value old to new everywhere in g: the node,
// initializer, graph input or graph output that defines it, every node
// that reads it, its value_info, and the subgraphs that capture it (a
// subgraph that defines a value of the same name of its own is left
// alone). It fails when old is not in g, or when new is already used
// anywhere g or a capturing subgraph could see it.
//
// quantization_annotation and sparse_initializer entries, which the codec
// keeps as raw bytes, are not renamed.
func Rename(g *onnx.Graph, old, new string) error {
	if old == "" || new == "" {
		return fmt.Errorf("edit: cannot rename %q to %q: value names are not empty", old, new)
	}
	if old == new {
		return nil
	}
	if !mentions(g, old) {
		return fmt.Errorf("edit: cannot rename %q: graph %q has no value of that name", old, g.Name)
	}
	if mentions(g, new) {
		return fmt.Errorf("edit: cannot rename %q to %q: graph %q already uses the name %q", old, new, g.Name, new)
	}
	if err := checkSubgraphs(g, old, new); err != nil {
		return err
	}
	renameIn(g, old, new)
	return nil
}

// mentions reports whether name appears anywhere in g itself (not in its
// subgraphs).
func mentions(g *onnx.Graph, name string) bool {
	for _, t := range g.Initializer {
		if t != nil && t.Name == name {
			return true
		}
	}
	for _, list := range [][]*onnx.ValueInfo{g.Input, g.Output, g.ValueInfo} {
		for _, vi := range list {
			if vi != nil && vi.Name == name {
				return true
			}
		}
	}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, list := range [][]string{n.Input, n.Output} {
			for _, v := range list {
				if v == name {
					return true
				}
			}
		}
	}
	return false
}

// subgraphs returns the graphs held by n's attributes.
func subgraphs(n *onnx.Node) []*onnx.Graph {
	var out []*onnx.Graph
	for _, a := range n.Attribute {
		if a == nil {
			continue
		}
		if a.G != nil {
			out = append(out, a.G)
		}
		for _, sg := range a.Graphs {
			if sg != nil {
				out = append(out, sg)
			}
		}
	}
	return out
}

// defines reports whether sg defines name itself (an input, initializer
// or node output), which hides the enclosing graph's value of that name.
func defines(sg *onnx.Graph, name string) bool {
	for _, t := range sg.Initializer {
		if t != nil && t.Name == name {
			return true
		}
	}
	for _, vi := range sg.Input {
		if vi != nil && vi.Name == name {
			return true
		}
	}
	for _, n := range sg.Node {
		if n != nil {
			for _, o := range n.Output {
				if o == name {
					return true
				}
			}
		}
	}
	return false
}

// checkSubgraphs refuses a rename that a subgraph capturing old would see
// shadowed: one that defines new itself.
func checkSubgraphs(g *onnx.Graph, old, new string) error {
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, sg := range subgraphs(n) {
			if defines(sg, old) || !mentionsDeep(sg, old) {
				continue
			}
			if defines(sg, new) {
				return fmt.Errorf("edit: cannot rename %q to %q: subgraph %q of node %q reads %q but defines its own %q", old, new, sg.Name, n.Name, old, new)
			}
			if err := checkSubgraphs(sg, old, new); err != nil {
				return err
			}
		}
	}
	return nil
}

// mentionsDeep is mentions through nested subgraphs that do not shadow name.
func mentionsDeep(g *onnx.Graph, name string) bool {
	if mentions(g, name) {
		return true
	}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, sg := range subgraphs(n) {
			if !defines(sg, name) && mentionsDeep(sg, name) {
				return true
			}
		}
	}
	return false
}

func renameIn(g *onnx.Graph, old, new string) {
	for _, t := range g.Initializer {
		if t != nil && t.Name == old {
			t.Name = new
		}
	}
	for _, list := range [][]*onnx.ValueInfo{g.Input, g.Output, g.ValueInfo} {
		for _, vi := range list {
			if vi != nil && vi.Name == old {
				vi.Name = new
			}
		}
	}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, list := range [][]string{n.Input, n.Output} {
			for i, v := range list {
				if v == old {
					list[i] = new
				}
			}
		}
		for _, sg := range subgraphs(n) {
			if !defines(sg, old) {
				renameIn(sg, old, new)
			}
		}
	}
}

// ReplaceUses makes every reader of value old read new instead: node
// inputs and the captures of subgraphs, except in the nodes listed in
// except (typically the node just inserted to read old). It returns how
// many inputs it rewired. The producer of old and the graph outputs keep
// their names; to put a node after a graph output, Rename the output's
// producer instead.
func ReplaceUses(g *onnx.Graph, old, new string, except ...*onnx.Node) int {
	count := 0
	for _, n := range g.Node {
		if n == nil || slices.Contains(except, n) {
			continue
		}
		for i, in := range n.Input {
			if in == old {
				n.Input[i] = new
				count++
			}
		}
		for _, sg := range subgraphs(n) {
			if !defines(sg, old) && mentionsDeep(sg, old) {
				renameIn(sg, old, new)
				count++
			}
		}
	}
	return count
}
