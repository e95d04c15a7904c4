package edit

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
)

// initializerIndex returns the position of initializer name in g, or -1.
func initializerIndex(g *onnx.Graph, name string) int {
	for i, t := range g.Initializer {
		if t != nil && t.Name == name {
			return i
		}
	}
	return -1
}

// AddInitializer appends t to g's initializers. It fails when t has no
// name or when g already defines a value of that name.
func AddInitializer(g *onnx.Graph, t *onnx.Tensor) error {
	return InsertInitializer(g, len(g.Initializer), t)
}

// InsertInitializer inserts t at position i of g's initializers (clamped
// to the list), the inverse of RemoveInitializer. It fails like
// AddInitializer.
func InsertInitializer(g *onnx.Graph, i int, t *onnx.Tensor) error {
	if t == nil || t.Name == "" {
		return fmt.Errorf("edit: an initializer needs a name")
	}
	// A graph input of the same name is allowed: IR 3 models list every
	// initializer among the inputs, and in later IRs an initializer gives
	// an input its default value.
	if what := definedAs(g, t.Name); what != "" && what != "graph input" {
		return fmt.Errorf("edit: cannot add initializer %q: the graph already has a %s of that name", t.Name, what)
	}
	i = min(max(i, 0), len(g.Initializer))
	g.Initializer = insertAt(g.Initializer, i, t)
	return nil
}

// ReplaceInitializer puts t in place of the initializer of the same name
// and returns the one replaced: ReplaceInitializer(g, old) undoes it.
func ReplaceInitializer(g *onnx.Graph, t *onnx.Tensor) (*onnx.Tensor, error) {
	if t == nil {
		return nil, fmt.Errorf("edit: ReplaceInitializer of nil")
	}
	i := initializerIndex(g, t.Name)
	if i < 0 {
		return nil, fmt.Errorf("edit: the graph has no initializer %q to replace", t.Name)
	}
	old := g.Initializer[i]
	g.Initializer[i] = t
	return old, nil
}

// RemoveInitializer removes initializer name from g and returns it with
// its position. A graph input of the same name (how IR 3 models list
// their initializers) stays: Prune removes it once nothing reads it.
func RemoveInitializer(g *onnx.Graph, name string) (*onnx.Tensor, int, error) {
	i := initializerIndex(g, name)
	if i < 0 {
		return nil, -1, fmt.Errorf("edit: the graph has no initializer %q to remove", name)
	}
	t := g.Initializer[i]
	g.Initializer = append(g.Initializer[:i:i], g.Initializer[i+1:]...)
	return t, i, nil
}

// definedAs says what in g already defines name ("" when nothing does).
func definedAs(g *onnx.Graph, name string) string {
	if initializerIndex(g, name) >= 0 {
		return "initializer"
	}
	for _, vi := range g.Input {
		if vi != nil && vi.Name == name {
			return "graph input"
		}
	}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, o := range n.Output {
			if o == name {
				return "node output"
			}
		}
	}
	return ""
}
