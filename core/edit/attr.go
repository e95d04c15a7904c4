package edit

import "github.com/pare-ml/pare/core/onnx"

// Attribute constructors. Each returns a new attribute with its type set,
// as ONNX requires (IR >= 2) and as a canonical serializer writes it.

// Int returns an INT attribute.
func Int(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

// Ints returns an INTS attribute.
func Ints(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

// Float returns a FLOAT attribute.
func Float(name string, v float32) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

// Floats returns a FLOATS attribute.
func Floats(name string, v ...float32) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrFloats, Floats: v}
}

// String returns a STRING attribute.
func String(name, v string) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrString, S: []byte(v)}
}

// Strings returns a STRINGS attribute.
func Strings(name string, v ...string) *onnx.Attribute {
	s := make([][]byte, len(v))
	for i, x := range v {
		s[i] = []byte(x)
	}
	return &onnx.Attribute{Name: name, Type: onnx.AttrStrings, Strings: s}
}

// Tensor returns a TENSOR attribute (Constant's value, for example).
func Tensor(name string, t *onnx.Tensor) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrTensor, T: t}
}

// Graph returns a GRAPH attribute (the branches of If, the body of Loop).
func Graph(name string, g *onnx.Graph) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrGraph, G: g}
}

// SetAttr sets attribute a on n: it replaces the attribute of the same
// name in its position, or appends a. It returns the attribute replaced
// (nil when a was appended), so that SetAttr(n, old) undoes the edit.
func SetAttr(n *onnx.Node, a *onnx.Attribute) *onnx.Attribute {
	for i, x := range n.Attribute {
		if x != nil && x.Name == a.Name {
			n.Attribute[i] = a
			return x
		}
	}
	n.Attribute = append(n.Attribute, a)
	return nil
}

// RemoveAttr removes n's attribute name and returns it with its position
// (nil and -1 when n has none); InsertAttr(n, i, a) puts it back.
func RemoveAttr(n *onnx.Node, name string) (*onnx.Attribute, int) {
	for i, x := range n.Attribute {
		if x != nil && x.Name == name {
			n.Attribute = append(n.Attribute[:i:i], n.Attribute[i+1:]...)
			return x, i
		}
	}
	return nil, -1
}

// InsertAttr inserts a at position i of n's attributes (clamped to the
// list), the inverse of RemoveAttr.
func InsertAttr(n *onnx.Node, i int, a *onnx.Attribute) {
	i = min(max(i, 0), len(n.Attribute))
	n.Attribute = insertAt(n.Attribute, i, a)
}

// insertAt returns s with v at index i, never writing into memory s
// shares with the slice it was cut from (a decoded model's slices may
// alias each other's backing arrays after a removal).
func insertAt[T any](s []T, i int, v T) []T {
	out := make([]T, 0, len(s)+1)
	out = append(out, s[:i]...)
	out = append(out, v)
	return append(out, s[i:]...)
}
