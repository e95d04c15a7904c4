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
