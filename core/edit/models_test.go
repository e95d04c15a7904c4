package edit_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// decodeFile reads a model file keeping its bytes, for byte comparisons.
func decodeFile(t *testing.T, path string) (*onnx.Model, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m, data
}

// sameBytes fails t when m no longer encodes to want.
func sameBytes(t *testing.T, what string, m *onnx.Model, want []byte) {
	t.Helper()
	got, err := onnx.Encode(m)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: %d bytes, want %d; first difference at byte %d", what, len(got), len(want), i)
	}
}

// differs fails t when m still encodes to orig: the edit under test must
// have changed something, or its inverse proves nothing.
func differs(t *testing.T, what string, m *onnx.Model, orig []byte) {
	t.Helper()
	got, err := onnx.Encode(m)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if bytes.Equal(got, orig) {
		t.Fatalf("%s changed nothing", what)
	}
}

// TestInverseEditsKeepBytes applies each kind of edit and its inverse to
// every shared model and fixture; the file must come back byte for byte.
func TestInverseEditsKeepBytes(t *testing.T) {
	for _, path := range testmodels.All(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m, orig := decodeFile(t, path)
			g := m.Graph
			sameBytes(t, "decode+encode", m, orig)

			// Rename: a graph input, every node output, an initializer.
			names := []string{testmodels.GraphInputs(m)[0].Name, g.Initializer[0].Name}
			for _, n := range g.Node {
				names = append(names, n.Output...)
			}
			for _, name := range names {
				if name == "" {
					continue
				}
				if err := edit.Rename(g, name, name+"/renamed"); err != nil {
					t.Fatal(err)
				}
			}
			differs(t, "renaming", m, orig)
			for _, name := range names {
				if name == "" {
					continue
				}
				if err := edit.Rename(g, name+"/renamed", name); err != nil {
					t.Fatal(err)
				}
			}
			sameBytes(t, "rename and back", m, orig)

			// Attributes: replace each with a constructed one, then restore.
			var restore []func()
			for _, n := range g.Node {
				for _, a := range slices.Clone(n.Attribute) {
					repl := rebuilt(a)
					if repl == nil {
						continue
					}
					old := edit.SetAttr(n, repl)
					restore = append(restore, func() { edit.SetAttr(n, old) })
				}
			}
			if len(restore) > 0 {
				differs(t, "attribute replacement", m, orig)
			}
			for _, r := range restore {
				r()
			}
			sameBytes(t, "attributes replaced and restored", m, orig)
			// Remove and re-insert the last attribute of every node.
			for _, n := range g.Node {
				if len(n.Attribute) > 0 {
					a, i := edit.RemoveAttr(n, n.Attribute[len(n.Attribute)-1].Name)
					edit.InsertAttr(n, i, a)
				}
			}
			sameBytes(t, "attributes removed and re-inserted", m, orig)

			// Initializers: replace with zeros and restore; remove and
			// re-insert each.
			for _, init := range slices.Clone(g.Initializer) {
				zero := &onnx.Tensor{Name: init.Name, DataType: init.DataType, Dims: init.Dims, RawData: make([]byte, len(init.RawData))}
				old, err := edit.ReplaceInitializer(g, zero)
				if err != nil || old != init {
					t.Fatalf("ReplaceInitializer(%s) = %v, %v", init.Name, old, err)
				}
				if _, err := edit.ReplaceInitializer(g, old); err != nil {
					t.Fatal(err)
				}
				removed, i, err := edit.RemoveInitializer(g, init.Name)
				if err != nil {
					t.Fatal(err)
				}
				if err := edit.InsertInitializer(g, i, removed); err != nil {
					t.Fatal(err)
				}
			}
			sameBytes(t, "initializers replaced, removed and restored", m, orig)

			// Nodes: remove and re-insert each in place.
			for _, n := range slices.Clone(g.Node) {
				i, err := edit.RemoveNode(g, n)
				if err != nil {
					t.Fatal(err)
				}
				if err := edit.InsertNode(g, i, n); err != nil {
					t.Fatal(err)
				}
			}
			sameBytes(t, "nodes removed and re-inserted", m, orig)

			// Sorting: a sorted file stays; a node appended after its
			// readers goes back before its first reader.
			if err := edit.SortNodes(g); err != nil {
				t.Fatal(err)
			}
			sameBytes(t, "SortNodes of a sorted graph", m, orig)
			moved := 0
			for _, n := range slices.Clone(g.Node) {
				if !readByNext(g, n) {
					continue
				}
				if _, err := edit.RemoveNode(g, n); err != nil {
					t.Fatal(err)
				}
				if err := edit.AddNode(g, n); err != nil {
					t.Fatal(err)
				}
				moved++
				if err := edit.SortNodes(g); err != nil {
					t.Fatal(err)
				}
			}
			if moved == 0 {
				t.Fatal("no node is read by the node after it")
			}
			sameBytes(t, fmt.Sprintf("%d nodes appended and sorted back", moved), m, orig)

			// Dead code: a node and an initializer nobody reads go again.
			if p, err := edit.Prune(g); err != nil || !p.Empty() {
				t.Fatalf("Prune of the original removed %+v (%v)", p, err)
			}
			if err := edit.AddInitializer(g, &onnx.Tensor{Name: "dead/w", DataType: onnx.Float, Dims: []int64{1}, FloatData: []float32{2}}); err != nil {
				t.Fatal(err)
			}
			dead := []*onnx.Node{
				{Name: "dead/mul", OpType: "Mul", Input: []string{g.Node[0].Output[0], "dead/w"}, Output: []string{"dead/y"}},
				{Name: "dead/relu", OpType: "Relu", Input: []string{"dead/y"}, Output: []string{"dead/z"}},
			}
			for _, n := range dead {
				if err := edit.InsertNode(g, 1, n); err != nil {
					t.Fatal(err)
				}
			}
			g.ValueInfo = append(g.ValueInfo, &onnx.ValueInfo{Name: "dead/z"})
			p, err := edit.Prune(g)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Nodes) != 2 || len(p.Initializers) != 1 || len(p.ValueInfo) != 1 {
				t.Errorf("Prune removed %d nodes, %d initializers, %d value_info; want 2, 1, 1", len(p.Nodes), len(p.Initializers), len(p.ValueInfo))
			}
			sameBytes(t, "dead code added and pruned", m, orig)

			// value_info: refreshed from inference it is already right;
			// cleared and restored it is the same.
			shapes := inferShapes(t, m)
			edit.RefreshValueInfo(g, shapes)
			sameBytes(t, "RefreshValueInfo of consistent value_info", m, orig)
			saved := edit.ClearValueInfo(g)
			if len(saved) > 0 {
				differs(t, "ClearValueInfo", m, orig)
			}
			g.ValueInfo = saved
			sameBytes(t, "value_info cleared and restored", m, orig)

			// Opset: to another version and back, the IR version with it.
			opset, ir := m.OpsetVersion(""), m.IRVersion
			if err := edit.SetOpset(m, "", 21); err != nil {
				t.Fatal(err)
			}
			if m.OpsetVersion("") != 21 || m.IRVersion < 10 {
				t.Errorf("SetOpset 21: opset %d, IR %d; want 21 and IR >= 10", m.OpsetVersion(""), m.IRVersion)
			}
			if err := edit.SetOpset(m, "", opset); err != nil {
				t.Fatal(err)
			}
			m.IRVersion = ir
			sameBytes(t, "opset set and restored", m, orig)

			// The file written is the file read.
			out := filepath.Join(t.TempDir(), "copy.onnx")
			if err := edit.WriteModelFile(out, m, path); err != nil {
				t.Fatal(err)
			}
			if written, err := os.ReadFile(out); err != nil || !bytes.Equal(written, orig) {
				t.Fatalf("WriteModelFile wrote %d bytes (%v), want the %d read", len(written), err, len(orig))
			}
		})
	}
}

// rebuilt returns a copy of a made with the package's constructors and a
// different value, or nil for kinds they do not cover.
func rebuilt(a *onnx.Attribute) *onnx.Attribute {
	switch a.Type {
	case onnx.AttrInt:
		return edit.Int(a.Name, a.I+1)
	case onnx.AttrInts:
		return edit.Ints(a.Name, append(slices.Clone(a.Ints), 1)...)
	case onnx.AttrFloat:
		return edit.Float(a.Name, a.F+1)
	case onnx.AttrFloats:
		return edit.Floats(a.Name, append(slices.Clone(a.Floats), 1)...)
	case onnx.AttrString:
		return edit.String(a.Name, string(a.S)+"x")
	case onnx.AttrTensor:
		return edit.Tensor(a.Name, &onnx.Tensor{DataType: onnx.Float, FloatData: []float32{1}})
	case onnx.AttrGraph:
		return edit.Graph(a.Name, &onnx.Graph{Name: "empty"})
	}
	return nil
}

// readByNext reports whether the node after n in g reads one of n's
// outputs (and no earlier node does): moved to the end and sorted, n
// must come back to its place.
func readByNext(g *onnx.Graph, n *onnx.Node) bool {
	i := slices.Index(g.Node, n)
	if i < 0 || i+1 >= len(g.Node) {
		return false
	}
	for _, o := range n.Output {
		if o != "" && slices.Contains(g.Node[i+1].Input, o) {
			return true
		}
	}
	return false
}

func inferShapes(t *testing.T, m *onnx.Model) *graph.Shapes {
	t.Helper()
	in, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := graph.InferShapes(m, in, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRemovedNodeRunsIdentically removes a node from the middle of every
// model, appends it (the file order is then not topological), writes the
// model and runs it: the outputs are those of the original, bit for bit.
func TestRemovedNodeRunsIdentically(t *testing.T) {
	for _, path := range testmodels.All(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m, _ := decodeFile(t, path)
			feeds := testmodels.RandomInputs(t, m, 7)
			want := run(t, m, feeds)

			g := m.Graph
			n := g.Node[len(g.Node)/2]
			if _, err := edit.RemoveNode(g, n); err != nil {
				t.Fatal(err)
			}
			if err := edit.AddNode(g, n); err != nil {
				t.Fatal(err)
			}
			if x, err := graph.New(g); err != nil || slices.Equal(x.Order(), g.Node) {
				t.Fatalf("appending node %s left the graph in order (%v): the test proves nothing", graph.NodeLabel(n), err)
			}
			out := filepath.Join(t.TempDir(), "moved.onnx")
			if err := edit.WriteModelFile(out, m, path); err != nil {
				t.Fatal(err)
			}
			written, _ := decodeFile(t, out)
			if x, err := graph.New(written.Graph); err != nil || !slices.Equal(x.Order(), written.Graph.Node) {
				t.Fatalf("the written file is not in topological order (%v)", err)
			}
			got := run(t, written, feeds)
			for name, w := range want {
				if !slices.Equal(got[name].Shape, w.Shape) || !slices.Equal(got[name].F32, w.F32) {
					t.Errorf("output %s differs after the node %s was removed and re-inserted", name, graph.NodeLabel(n))
				}
			}
		})
	}
}

func run(t *testing.T, m *onnx.Model, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(feeds)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSortNodesAfterShuffle shuffles the nodes of every model; SortNodes
// must give a topological order (one graph.New keeps as it is) that
// computes the original's values, bit for bit. The comparison runs every
// node as written (RunAll): with another order the executor may fuse a
// residual Add into the other branch's Conv, which rounds differently.
func TestSortNodesAfterShuffle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, path := range testmodels.All(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m, _ := decodeFile(t, path)
			feeds := testmodels.RandomInputs(t, m, 9)
			want := runUnfused(t, m, feeds)
			g := m.Graph
			rng.Shuffle(len(g.Node), func(i, j int) { g.Node[i], g.Node[j] = g.Node[j], g.Node[i] })
			if err := edit.SortNodes(g); err != nil {
				t.Fatal(err)
			}
			x, err := graph.New(g)
			if err != nil || !slices.Equal(x.Order(), g.Node) {
				t.Fatalf("SortNodes left the nodes out of order (%v)", err)
			}
			got := runUnfused(t, m, feeds)
			for name, w := range want {
				if !slices.Equal(got[name].F32, w.F32) {
					t.Errorf("value %s differs after shuffling and sorting", name)
				}
			}
		})
	}
}

// runUnfused runs every node of m as written and returns every value.
func runUnfused(t *testing.T, m *onnx.Model, feeds map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.RunAll(feeds)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
