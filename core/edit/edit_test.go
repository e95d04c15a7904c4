package edit_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/onnx"
)

// chain is x -> Relu a -> Neg b -> y, with initializer w unused and an If
// whose branch captures a.
func chain() *onnx.Model {
	branch := func(name string) *onnx.Graph {
		return &onnx.Graph{
			Name:   name,
			Node:   []*onnx.Node{{Name: "inner", OpType: "Identity", Input: []string{"a"}, Output: []string{"t"}}},
			Output: []*onnx.ValueInfo{{Name: "t"}},
		}
	}
	return &onnx.Model{
		IRVersion:   7,
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Name:        "chain",
			Input:       []*onnx.ValueInfo{{Name: "x"}, {Name: "cond"}},
			Output:      []*onnx.ValueInfo{{Name: "y"}, {Name: "z"}},
			Initializer: []*onnx.Tensor{{Name: "w", DataType: onnx.Float, FloatData: []float32{1}}},
			Node: []*onnx.Node{
				{Name: "relu", OpType: "Relu", Input: []string{"x"}, Output: []string{"a"}},
				{Name: "neg", OpType: "Neg", Input: []string{"a"}, Output: []string{"b"}},
				{Name: "id", OpType: "Identity", Input: []string{"b"}, Output: []string{"y"}},
				{Name: "if", OpType: "If", Input: []string{"cond"}, Output: []string{"z"},
					Attribute: []*onnx.Attribute{edit.Graph("then_branch", branch("then")), edit.Graph("else_branch", branch("else"))}},
			},
		},
	}
}

func TestRenameReachesCapturesAndRefusesClashes(t *testing.T) {
	m := chain()
	g := m.Graph
	if err := edit.Rename(g, "a", "act"); err != nil {
		t.Fatal(err)
	}
	branch := g.Node[3].Attribute[0].G
	if g.Node[0].Output[0] != "act" || g.Node[1].Input[0] != "act" || branch.Node[0].Input[0] != "act" {
		t.Errorf("rename missed a use: %v %v %v", g.Node[0].Output, g.Node[1].Input, branch.Node[0].Input)
	}
	for _, c := range []struct{ old, new, want string }{
		{"act", "b", "already uses"},
		{"nothing", "q", "no value"},
		{"act", "", "not empty"},
		{"act", "t", "defines its own"}, // the branch would read its own t
	} {
		if err := edit.Rename(g, c.old, c.new); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Rename(%q, %q) = %v, want an error saying %q", c.old, c.new, err, c.want)
		}
	}
}

func TestPruneKeepsCapturedValues(t *testing.T) {
	m := chain()
	g := m.Graph
	g.Output = g.Output[1:] // only z, which the If computes from a
	p, err := edit.Prune(g)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range g.Node {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"relu", "if"}) {
		t.Errorf("nodes after Prune %v, want [relu if] (the branch reads a)", names)
	}
	if len(p.Nodes) != 2 || len(p.Initializers) != 1 || p.Initializers[0].Name != "w" {
		t.Errorf("Prune removed %d nodes and %v", len(p.Nodes), p.Initializers)
	}
	if len(g.Input) != 2 {
		t.Errorf("Prune removed a graph input the caller feeds: %d left", len(g.Input))
	}
}

func TestPruneDropsIR3InitializerInputs(t *testing.T) {
	m := chain()
	g := m.Graph
	g.Input = append(g.Input, &onnx.ValueInfo{Name: "w"}) // IR 3 lists initializers as inputs
	if _, err := edit.Prune(g); err != nil {
		t.Fatal(err)
	}
	if len(g.Initializer) != 0 || len(g.Input) != 2 {
		t.Errorf("after Prune: %d initializers, %d inputs; want 0 and 2", len(g.Initializer), len(g.Input))
	}
}

func TestSortNodesMovesLeast(t *testing.T) {
	m := chain()
	g := m.Graph
	relu := g.Node[0]
	if _, err := edit.RemoveNode(g, relu); err != nil {
		t.Fatal(err)
	}
	if err := edit.AddNode(g, relu); err != nil {
		t.Fatal(err)
	}
	if err := edit.SortNodes(g); err != nil {
		t.Fatal(err)
	}
	if g.Node[0] != relu {
		t.Errorf("relu sorted to %d, want 0 (before neg, its first reader)", slices.Index(g.Node, relu))
	}
	// A cycle is an error naming it, and leaves the order alone.
	g.Node[0].Input[0] = "y"
	before := slices.Clone(g.Node)
	if err := edit.SortNodes(g); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("SortNodes of a cycle: %v", err)
	}
	if !slices.Equal(before, g.Node) {
		t.Error("a failed sort changed the order")
	}
}

func TestAddRefusesDuplicates(t *testing.T) {
	g := chain().Graph
	if err := edit.AddInitializer(g, &onnx.Tensor{Name: "a"}); err == nil || !strings.Contains(err.Error(), "node output") {
		t.Errorf("initializer named like a node output: %v", err)
	}
	if err := edit.AddInitializer(g, &onnx.Tensor{Name: "x"}); err != nil {
		t.Errorf("initializer giving graph input x a default: %v", err)
	}
	if err := edit.AddNode(g, &onnx.Node{OpType: "Relu", Input: []string{"x"}, Output: []string{"w"}}); err == nil || !strings.Contains(err.Error(), "initializer") {
		t.Errorf("node writing an initializer's name: %v", err)
	}
	if _, err := edit.ReplaceInitializer(g, &onnx.Tensor{Name: "nope"}); err == nil {
		t.Error("ReplaceInitializer of a missing name succeeded")
	}
	if _, _, err := edit.RemoveInitializer(g, "nope"); err == nil {
		t.Error("RemoveInitializer of a missing name succeeded")
	}
	if _, err := edit.RemoveNode(g, &onnx.Node{OpType: "Relu"}); err == nil {
		t.Error("RemoveNode of a node not in the graph succeeded")
	}
}

func TestSetOpsetRaisesIR(t *testing.T) {
	m := chain()
	if err := edit.SetOpset(m, "ai.onnx", 19); err != nil {
		t.Fatal(err)
	}
	if m.OpsetVersion("") != 19 || m.IRVersion != 9 || len(m.OpsetImport) != 1 {
		t.Errorf("opset %d IR %d imports %d; want 19, 9, 1", m.OpsetVersion(""), m.IRVersion, len(m.OpsetImport))
	}
	if err := edit.SetOpset(m, "", 11); err != nil || m.IRVersion != 9 {
		t.Errorf("lowering the opset lowered the IR version to %d (%v)", m.IRVersion, err)
	}
	if err := edit.SetOpset(m, "com.example", 1); err != nil || m.OpsetVersion("com.example") != 1 || len(m.OpsetImport) != 2 {
		t.Errorf("custom domain import: %v, %d imports", err, len(m.OpsetImport))
	}
	if err := edit.SetOpset(m, "", 99); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("unknown opset: %v", err)
	}
}

func TestRequireOpsetNeverLowers(t *testing.T) {
	m := chain()
	if err := edit.SetOpset(m, "", 17); err != nil {
		t.Fatal(err)
	}
	if err := edit.RequireOpset(m, "ai.onnx", 13); err != nil || m.OpsetVersion("") != 17 {
		t.Errorf("requiring 13 of a model at 17 gave %d (%v)", m.OpsetVersion(""), err)
	}
	if err := edit.RequireOpset(m, "", 21); err != nil || m.OpsetVersion("") != 21 || m.IRVersion != 10 {
		t.Errorf("requiring 21 gave opset %d IR %d (%v); want 21, 10", m.OpsetVersion(""), m.IRVersion, err)
	}
	if err := edit.RequireOpset(m, "pare.qil", 1); err != nil || m.OpsetVersion("pare.qil") != 1 || len(m.OpsetImport) != 2 {
		t.Errorf("a new domain: %v, %d imports", err, len(m.OpsetImport))
	}
}

func TestSetMetadataKeepsOneEntryInPlace(t *testing.T) {
	m := chain()
	m.MetadataProps = []*onnx.StringEntry{{Key: "a", Value: "1"}, {Key: "r", Value: "old"}, {Key: "b", Value: "2"}, {Key: "r", Value: "dup"}}
	edit.SetMetadata(m, "r", "new")
	edit.SetMetadata(m, "c", "3")
	var got []string
	for _, e := range m.MetadataProps {
		got = append(got, e.Key+"="+e.Value)
	}
	if want := []string{"a=1", "r=new", "b=2", "c=3"}; !slices.Equal(got, want) {
		t.Errorf("metadata %q, want %q", got, want)
	}
}

func TestWriteModelFileRefusesItsSource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "model.onnx")
	m := chain()
	if err := edit.WriteModelFile(src, m, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(src)
	link := filepath.Join(dir, "link.onnx")
	if err := os.Link(src, link); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	for _, target := range []string{src, link, filepath.Join(dir, ".", "model.onnx")} {
		if err := edit.WriteModelFile(target, m, src); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("WriteModelFile(%s) over its source: %v", target, err)
		}
	}
	if after, _ := os.ReadFile(src); string(after) != string(before) {
		t.Error("the source changed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the directory, want the model and its link (no temporary left)", len(entries))
	}
	// A model whose nodes form a cycle is not written, and the target keeps
	// its old content.
	m.Graph.Node[0].Input[0] = "y"
	out := filepath.Join(dir, "out.onnx")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := edit.WriteModelFile(out, m, src); err == nil {
		t.Error("a cyclic model was written")
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("the target was overwritten by a failed write: %q", b)
	}
}

func TestRefreshValueInfoAfterShapesChange(t *testing.T) {
	// Relu over x [1, 4] with value_info saying a is [1, 8] (stale) and a
	// value that no longer exists.
	dim := func(v int64) *onnx.Dimension { return &onnx.Dimension{Value: v, HasValue: true} }
	typ := func(d ...*onnx.Dimension) *onnx.TypeProto {
		return &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: &onnx.TensorShape{Dim: d}}}
	}
	m := &onnx.Model{IRVersion: 7, OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Input:     []*onnx.ValueInfo{{Name: "x", Type: typ(&onnx.Dimension{Param: "N"}, dim(4))}},
		Output:    []*onnx.ValueInfo{{Name: "a", Type: typ(&onnx.Dimension{Param: "N"}, dim(8))}},
		ValueInfo: []*onnx.ValueInfo{{Name: "a", Type: typ(dim(1), dim(8))}, {Name: "gone", Type: typ(dim(3))}},
		Node:      []*onnx.Node{{OpType: "Relu", Input: []string{"x"}, Output: []string{"a"}}},
	}}
	s := inferShapes(t, m)
	edit.RefreshValueInfo(m.Graph, s)
	g := m.Graph
	if len(g.ValueInfo) != 1 || g.ValueInfo[0].Type.TensorType.Shape.Dim[1].Value != 4 {
		t.Errorf("value_info after refresh: %d entries", len(g.ValueInfo))
	}
	out := g.Output[0].Type.TensorType.Shape.Dim
	if out[0].Param != "N" || out[0].HasValue || out[1].Value != 4 {
		t.Errorf("graph output dims after refresh: %+v %+v; want N kept symbolic and 4", *out[0], *out[1])
	}
}

func TestReplaceUsesRewiresReadersAndCaptures(t *testing.T) {
	g := chain().Graph
	// Put a Sigmoid after a: neg and the If's branches read its output.
	sig := &onnx.Node{Name: "sig", OpType: "Sigmoid", Input: []string{"a"}, Output: []string{"s"}}
	if err := edit.AddNode(g, sig); err != nil {
		t.Fatal(err)
	}
	if n := edit.ReplaceUses(g, "a", "s", sig); n != 3 {
		t.Errorf("rewired %d uses, want 3 (neg and the two branches)", n)
	}
	if sig.Input[0] != "a" || g.Node[1].Input[0] != "s" || g.Node[3].Attribute[1].G.Node[0].Input[0] != "s" {
		t.Errorf("after ReplaceUses: sig reads %v, neg %v", sig.Input, g.Node[1].Input)
	}
	if err := edit.SortNodes(g); err != nil || slices.Index(g.Node, sig) != 1 {
		t.Errorf("sig sorted to %d (%v), want 1", slices.Index(g.Node, sig), err)
	}
}
