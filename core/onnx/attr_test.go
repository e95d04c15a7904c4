package onnx

import "testing"

// Encode accepts nil elements of repeated message fields, so a model built
// by hand may hold them; the accessors once dereferenced them and panicked.
func TestAccessorsSkipNilEntries(t *testing.T) {
	n := &Node{Attribute: []*Attribute{nil, {Name: "axis", Type: AttrInt, I: 2}}}
	if got := n.AttrInt("axis", 1); got != 2 {
		t.Errorf("AttrInt(axis) = %d, want 2", got)
	}
	if got := n.AttrInt("missing", 7); got != 7 {
		t.Errorf("AttrInt(missing) = %d, want the default 7", got)
	}
	m := &Model{OpsetImport: []*OperatorSet{nil, {Domain: "ai.onnx", Version: 13}}}
	if got := m.OpsetVersion(""); got != 13 {
		t.Errorf("OpsetVersion = %d, want 13", got)
	}
}

// TestStringAttributesDoNotAliasTheFile: a decoded model's string
// attributes are copies, so a session that keeps a node (Pad's mode)
// does not keep the whole file's buffer alive through them.
func TestStringAttributesDoNotAliasTheFile(t *testing.T) {
	m := &Model{IRVersion: 7, OpsetImport: []*OperatorSet{{Version: 13}}, Graph: &Graph{Name: "g", Node: []*Node{{
		OpType: "Pad", Input: []string{"x"}, Output: []string{"y"},
		Attribute: []*Attribute{
			{Name: "mode", Type: AttrString, S: []byte("constant")},
			{Name: "names", Type: AttrStrings, Strings: [][]byte{[]byte("a"), []byte("bc")}},
		},
	}}}}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 'x' // the file's buffer reused or overwritten
	}
	n := got.Graph.Node[0]
	if s := n.AttrString("mode", ""); s != "constant" {
		t.Errorf("mode = %q after the buffer changed", s)
	}
	if a := n.Attribute[1]; string(a.Strings[0]) != "a" || string(a.Strings[1]) != "bc" {
		t.Errorf("strings = %q after the buffer changed", a.Strings)
	}
}
