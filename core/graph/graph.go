package graph

import (
	"fmt"
	"sort"

	"github.com/pare-ml/pare/core/onnx"
)

// Graph indexes an onnx.Graph: which node produces each value, which nodes
// consume it, the initializers by name, and a topological order of the
// nodes. It is read-only: after changing the underlying onnx.Graph, build a
// new Graph.
type Graph struct {
	g            *onnx.Graph
	order        []*onnx.Node
	producer     map[string]*onnx.Node
	consumers    map[string][]*onnx.Node
	initializers map[string]*onnx.Tensor
	inputs       []*onnx.ValueInfo
	// outer holds the names referenced by nodes (or subgraphs) that this
	// graph neither produces nor declares: captured from an enclosing
	// graph. Always empty for a top-level graph built by New.
	outer []string
}

// New indexes g. It returns an error when a value is produced twice (by two
// nodes, or by a node and a graph input or initializer), when the nodes
// form a cycle, or when a node reads a value that nothing produces and that
// is neither a graph input nor an initializer. Subgraphs of control-flow
// nodes (If, Loop, Scan) may read values of the enclosing graph; those
// references count as inputs of the control-flow node for ordering.
func New(g *onnx.Graph) (*Graph, error) {
	return build(g, nil)
}

// NewNested indexes g as a subgraph whose nodes may read the values in
// outer (names visible in the enclosing graphs). Names found neither in g
// nor in outer are still errors.
func NewNested(g *onnx.Graph, outer func(name string) bool) (*Graph, error) {
	if outer == nil {
		outer = func(string) bool { return false }
	}
	return build(g, outer)
}

func build(g *onnx.Graph, outer func(string) bool) (*Graph, error) {
	if g == nil {
		return nil, fmt.Errorf("graph: model has no graph")
	}
	x := &Graph{
		g:            g,
		producer:     make(map[string]*onnx.Node, len(g.Node)),
		consumers:    make(map[string][]*onnx.Node),
		initializers: make(map[string]*onnx.Tensor, len(g.Initializer)),
	}
	// declared: values available before any node runs.
	declared := make(map[string]bool, len(g.Input)+len(g.Initializer))
	for _, t := range g.Initializer {
		if t == nil {
			return nil, fmt.Errorf("graph %q: nil initializer", g.Name)
		}
		if t.Name == "" {
			return nil, fmt.Errorf("graph %q: an initializer has no name", g.Name)
		}
		if _, dup := x.initializers[t.Name]; dup {
			return nil, fmt.Errorf("graph %q: initializer %q is defined twice", g.Name, t.Name)
		}
		x.initializers[t.Name] = t
		declared[t.Name] = true
	}
	inputSeen := make(map[string]bool, len(g.Input))
	for _, vi := range g.Input {
		if vi == nil || vi.Name == "" {
			return nil, fmt.Errorf("graph %q: a graph input has no name", g.Name)
		}
		if inputSeen[vi.Name] {
			return nil, fmt.Errorf("graph %q: graph input %q is listed twice", g.Name, vi.Name)
		}
		inputSeen[vi.Name] = true
		declared[vi.Name] = true
		// IR < 4 models list initializers among the inputs; those are not
		// inputs a caller must feed.
		if _, isInit := x.initializers[vi.Name]; !isInit {
			x.inputs = append(x.inputs, vi)
		}
	}
	for _, n := range g.Node {
		if n == nil {
			return nil, fmt.Errorf("graph %q: nil node", g.Name)
		}
		for _, out := range n.Output {
			if out == "" {
				continue // omitted optional output
			}
			if p, dup := x.producer[out]; dup {
				return nil, fmt.Errorf("graph %q: value %q is produced by both node %s and node %s", g.Name, out, NodeLabel(p), NodeLabel(n))
			}
			if declared[out] {
				return nil, fmt.Errorf("graph %q: node %s produces %q, which is already a graph input or initializer", g.Name, NodeLabel(n), out)
			}
			x.producer[out] = n
		}
	}

	// deps[i] lists the values node i reads, including values its subgraphs
	// capture from this graph's scope.
	deps := make([][]string, len(g.Node))
	outerSeen := map[string]bool{}
	for i, n := range g.Node {
		reads := append([]string(nil), n.Input...)
		reads = append(reads, capturedNames(n)...)
		seen := make(map[string]bool, len(reads))
		for _, name := range reads {
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			if _, ok := x.producer[name]; ok || declared[name] {
				deps[i] = append(deps[i], name)
				x.consumers[name] = append(x.consumers[name], n)
				continue
			}
			if outer != nil && outer(name) {
				if !outerSeen[name] {
					outerSeen[name] = true
					x.outer = append(x.outer, name)
				}
				continue
			}
			return nil, fmt.Errorf("graph %q: node %s reads %q, which no node produces and which is neither a graph input nor an initializer", g.Name, NodeLabel(n), name)
		}
	}

	for _, vi := range g.Output {
		if vi == nil || vi.Name == "" {
			return nil, fmt.Errorf("graph %q: a graph output has no name", g.Name)
		}
		if _, ok := x.producer[vi.Name]; ok || declared[vi.Name] || (outer != nil && outer(vi.Name)) {
			continue
		}
		return nil, fmt.Errorf("graph %q: graph output %q is produced by no node and is neither a graph input nor an initializer", g.Name, vi.Name)
	}

	order, err := topoOrder(g.Node, deps, x.producer)
	if err != nil {
		return nil, fmt.Errorf("graph %q: %w", g.Name, err)
	}
	x.order = order
	return x, nil
}

// topoOrder is Kahn's algorithm that always picks the ready node with the
// smallest file index, so a graph already in topological order keeps its
// file order and any other graph gets a deterministic order.
func topoOrder(nodes []*onnx.Node, deps [][]string, producer map[string]*onnx.Node) ([]*onnx.Node, error) {
	index := make(map[*onnx.Node]int, len(nodes))
	for i, n := range nodes {
		index[n] = i
	}
	pending := make([]int, len(nodes))
	dependents := make([][]int, len(nodes))
	for i := range nodes {
		seen := map[int]bool{}
		for _, name := range deps[i] {
			p, ok := producer[name]
			if !ok {
				continue
			}
			j := index[p]
			if j == i {
				return nil, fmt.Errorf("node %s reads its own output %q (a cycle)", NodeLabel(nodes[i]), name)
			}
			if seen[j] {
				continue
			}
			seen[j] = true
			pending[i]++
			dependents[j] = append(dependents[j], i)
		}
	}
	ready := &minHeap{}
	for i := range nodes {
		if pending[i] == 0 {
			ready.push(i)
		}
	}
	order := make([]*onnx.Node, 0, len(nodes))
	for ready.len() > 0 {
		i := ready.pop()
		order = append(order, nodes[i])
		for _, d := range dependents[i] {
			pending[d]--
			if pending[d] == 0 {
				ready.push(d)
			}
		}
	}
	if len(order) != len(nodes) {
		var stuck []string
		for i := range nodes {
			if pending[i] > 0 {
				stuck = append(stuck, NodeLabel(nodes[i]))
			}
		}
		sort.Strings(stuck)
		if len(stuck) > 8 {
			stuck = append(stuck[:8], fmt.Sprintf("... (%d more)", len(stuck)-8))
		}
		return nil, fmt.Errorf("the nodes form a cycle; nodes on or after it: %v", stuck)
	}
	return order, nil
}

// minHeap is a binary min-heap of node indices.
type minHeap struct{ a []int }

func (h *minHeap) len() int { return len(h.a) }

func (h *minHeap) push(v int) {
	h.a = append(h.a, v)
	i := len(h.a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *minHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.a) && h.a[l] < h.a[m] {
			m = l
		}
		if r < len(h.a) && h.a[r] < h.a[m] {
			m = r
		}
		if m == i {
			return top
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
}

// capturedNames returns the names that the subgraphs of n read from
// enclosing scopes (values not defined inside the subgraph itself).
func capturedNames(n *onnx.Node) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range n.Attribute {
		if a == nil {
			continue
		}
		subs := a.Graphs
		if a.G != nil {
			subs = append([]*onnx.Graph{a.G}, subs...)
		}
		for _, sg := range subs {
			for _, name := range freeNames(sg) {
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
	}
	return out
}

// freeNames returns the names sg reads but does not define, recursively
// through nested subgraphs, in first-use order.
func freeNames(sg *onnx.Graph) []string {
	if sg == nil {
		return nil
	}
	defined := map[string]bool{}
	for _, t := range sg.Initializer {
		if t != nil {
			defined[t.Name] = true
		}
	}
	for _, vi := range sg.Input {
		if vi != nil {
			defined[vi.Name] = true
		}
	}
	for _, n := range sg.Node {
		if n == nil {
			continue
		}
		for _, o := range n.Output {
			defined[o] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(name string) {
		if name != "" && !defined[name] && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, n := range sg.Node {
		if n == nil {
			continue
		}
		for _, in := range n.Input {
			add(in)
		}
		for _, name := range capturedNames(n) {
			add(name)
		}
	}
	for _, vi := range sg.Output {
		if vi != nil {
			add(vi.Name)
		}
	}
	return out
}

// NodeLabel names a node for error messages: its name and op type, or its
// op type and first output when it has no name.
func NodeLabel(n *onnx.Node) string {
	if n == nil {
		return "<nil>"
	}
	if n.Name != "" {
		return fmt.Sprintf("%q (%s)", n.Name, n.OpType)
	}
	if len(n.Output) > 0 {
		return fmt.Sprintf("%s -> %q", n.OpType, n.Output[0])
	}
	return n.OpType
}

// Proto returns the indexed onnx.Graph.
func (x *Graph) Proto() *onnx.Graph { return x.g }

// Order returns the nodes in topological order. When the file order is
// already topological it is kept; otherwise ties are broken by file order.
// The slice is shared: do not modify it.
func (x *Graph) Order() []*onnx.Node { return x.order }

// Producer returns the node that produces name, or nil for graph inputs,
// initializers and unknown names.
func (x *Graph) Producer(name string) *onnx.Node { return x.producer[name] }

// Consumers returns the nodes that read name (directly, or through a
// subgraph), in file order. The slice is shared: do not modify it.
func (x *Graph) Consumers(name string) []*onnx.Node { return x.consumers[name] }

// Initializer returns the initializer called name, or nil.
func (x *Graph) Initializer(name string) *onnx.Tensor { return x.initializers[name] }

// Inputs returns the graph inputs that are not initializers: the values a
// caller must feed.
func (x *Graph) Inputs() []*onnx.ValueInfo { return x.inputs }

// Outputs returns the graph outputs.
func (x *Graph) Outputs() []*onnx.ValueInfo { return x.g.Output }

// IsGraphOutput reports whether name is one of the graph outputs.
func (x *Graph) IsGraphOutput(name string) bool {
	for _, vi := range x.g.Output {
		if vi != nil && vi.Name == name {
			return true
		}
	}
	return false
}

// OuterNames returns the names the graph reads from enclosing scopes (only
// for graphs built by NewNested).
func (x *Graph) OuterNames() []string { return x.outer }
