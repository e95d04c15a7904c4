package onnx

import (
	"bytes"
	"fmt"
	"math"
)

// Wire codec of GraphProto, NodeProto and AttributeProto.

var graphFields = []fieldInfo{
	{num: 1, name: "node"},
	{num: 2, name: "name"},
	{num: 5, name: "initializer"},
	{num: 10, name: "doc_string"},
	{num: 11, name: "input"},
	{num: 12, name: "output"},
	{num: 13, name: "value_info"},
	{num: 16, name: "metadata_props"},
}

func (d *decoder) graph(b []byte, g *Graph) error {
	if d.graphDepth >= MaxGraphDepth {
		return &pathError{problem: fmt.Sprintf("graphs nested deeper than %d; refusing to decode further", MaxGraphDepth)}
	}
	d.graphDepth++
	defer func() { d.graphDepth-- }()
	r := newReader(d, b, graphFields, &g.wire, &g.Unknown)
	return r.forEach(func() error { return d.graphField(r, g) })
}

// graphField decodes the field r is positioned on into g (Decode and the
// streaming decoder, stream.go, share it).
func (d *decoder) graphField(r *fieldReader, g *Graph) (err error) {
	switch r.num {
	case 1:
		err = r.repeatedMessage(len(g.Node), appendDecoded(&g.Node, d.node))
	case 2:
		err = r.stringField(&g.Name)
	case 5:
		err = r.repeatedMessage(len(g.Initializer), appendDecoded(&g.Initializer, d.tensor))
	case 10:
		err = r.stringField(&g.DocString)
	case 11, 12, 13:
		list := &g.Input
		if r.num == 12 {
			list = &g.Output
		} else if r.num == 13 {
			list = &g.ValueInfo
		}
		err = r.repeatedMessage(len(*list), appendDecoded(list, d.valueInfo))
	case 16:
		err = r.repeatedMessage(len(g.MetadataProps), appendDecoded(&g.MetadataProps, d.stringEntry))
	default:
		err = r.keep()
	}
	return err
}

func (g *Graph) fields() []fieldInfo                { return graphFields }
func (g *Graph) wireInfo() (*wireState, []RawField) { return &g.wire, g.Unknown }

func (g *Graph) fieldLen(num int32) int {
	switch num {
	case 1:
		return len(g.Node)
	case 2:
		return g.wire.present(2, g.Name != "")
	case 5:
		return len(g.Initializer)
	case 10:
		return g.wire.present(10, g.DocString != "")
	case 11:
		return len(g.Input)
	case 12:
		return len(g.Output)
	case 13:
		return len(g.ValueInfo)
	case 16:
		return len(g.MetadataProps)
	}
	return 0
}

func (g *Graph) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		return messages(e, 1, g.Node, from, to)
	case 2:
		e.stringField(2, g.Name)
	case 5:
		return messages(e, 5, g.Initializer, from, to)
	case 10:
		e.stringField(10, g.DocString)
	case 11:
		return messages(e, 11, g.Input, from, to)
	case 12:
		return messages(e, 12, g.Output, from, to)
	case 13:
		return messages(e, 13, g.ValueInfo, from, to)
	case 16:
		return messages(e, 16, g.MetadataProps, from, to)
	}
	return nil
}

var nodeFields = []fieldInfo{
	{num: 1, name: "input"},
	{num: 2, name: "output"},
	{num: 3, name: "name"},
	{num: 4, name: "op_type"},
	{num: 5, name: "attribute"},
	{num: 6, name: "doc_string"},
	{num: 7, name: "domain"},
	{num: 8, name: "overload"},
	{num: 9, name: "metadata_props"},
}

func (d *decoder) node(b []byte, n *Node) error {
	r := newReader(d, b, nodeFields, &n.wire, &n.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = repeatedString(r, &n.Input)
		case 2:
			err = repeatedString(r, &n.Output)
		case 3:
			err = r.stringField(&n.Name)
		case 4:
			err = r.stringField(&n.OpType)
		case 5:
			err = r.repeatedMessage(len(n.Attribute), appendDecoded(&n.Attribute, d.attribute))
		case 6:
			err = r.stringField(&n.DocString)
		case 7:
			err = r.stringField(&n.Domain)
		case 8:
			err = r.stringField(&n.Overload)
		case 9:
			err = r.repeatedMessage(len(n.MetadataProps), appendDecoded(&n.MetadataProps, d.stringEntry))
		default:
			err = r.keep()
		}
		return err
	})
}

func (n *Node) fields() []fieldInfo                { return nodeFields }
func (n *Node) wireInfo() (*wireState, []RawField) { return &n.wire, n.Unknown }

func (n *Node) fieldLen(num int32) int {
	switch num {
	case 1:
		return len(n.Input)
	case 2:
		return len(n.Output)
	case 3:
		return n.wire.present(3, n.Name != "")
	case 4:
		return n.wire.present(4, n.OpType != "")
	case 5:
		return len(n.Attribute)
	case 6:
		return n.wire.present(6, n.DocString != "")
	case 7:
		return n.wire.present(7, n.Domain != "")
	case 8:
		return n.wire.present(8, n.Overload != "")
	case 9:
		return len(n.MetadataProps)
	}
	return 0
}

func (n *Node) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		byteStrings(e, 1, n.Input, from, to)
	case 2:
		byteStrings(e, 2, n.Output, from, to)
	case 3:
		e.stringField(3, n.Name)
	case 4:
		e.stringField(4, n.OpType)
	case 5:
		return messages(e, 5, n.Attribute, from, to)
	case 6:
		e.stringField(6, n.DocString)
	case 7:
		e.stringField(7, n.Domain)
	case 8:
		e.stringField(8, n.Overload)
	case 9:
		return messages(e, 9, n.MetadataProps, from, to)
	}
	return nil
}

var attributeFields = []fieldInfo{
	{num: 1, name: "name"},
	{num: 2, name: "f"},
	{num: 3, name: "i"},
	{num: 4, name: "s"},
	{num: 5, name: "t"},
	{num: 6, name: "g"},
	{num: 7, name: "floats"},
	{num: 8, name: "ints"},
	{num: 9, name: "strings"},
	{num: 10, name: "tensors"},
	{num: 11, name: "graphs"},
	{num: 13, name: "doc_string"},
	{num: 14, name: "tp"},
	{num: 15, name: "type_protos"},
	{num: 20, name: "type"},
	{num: 21, name: "ref_attr_name"},
}

func (d *decoder) attribute(b []byte, a *Attribute) error {
	r := newReader(d, b, attributeFields, &a.wire, &a.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.stringField(&a.Name)
		case 2:
			err = r.float32Field(&a.F)
		case 3:
			err = r.int64Field(&a.I)
		case 4:
			// A copy, not a slice of the file: a session keeps its nodes'
			// attributes (Pad's mode "constant"), and a few bytes aliasing
			// the file's buffer would keep all of it alive after the
			// weights are converted (DenseNet-121: 31 MB).
			if err = r.bytesField(&a.S); err == nil {
				a.S = bytes.Clone(a.S)
			}
		case 5:
			err = r.messageField(func(p []byte) error {
				a.T = new(Tensor)
				return d.tensor(p, a.T)
			})
		case 6:
			err = r.messageField(func(p []byte) error {
				a.G = new(Graph)
				return d.graph(p, a.G)
			})
		case 7:
			err = repeatedFloats(r, &a.Floats, float32Wire)
		case 8:
			err = repeatedVarint(r, &a.Ints)
		case 9:
			// Copied too, for the reason of S above.
			if err = repeatedString(r, &a.Strings); err == nil && len(a.Strings) > 0 {
				last := len(a.Strings) - 1
				a.Strings[last] = bytes.Clone(a.Strings[last])
			}
		case 10:
			err = r.repeatedMessage(len(a.Tensors), appendDecoded(&a.Tensors, d.tensor))
		case 11:
			err = r.repeatedMessage(len(a.Graphs), appendDecoded(&a.Graphs, d.graph))
		case 13:
			err = r.stringField(&a.DocString)
		case 14:
			err = r.messageField(func(p []byte) error {
				a.TP = new(TypeProto)
				return d.typeProto(p, a.TP)
			})
		case 15:
			err = r.repeatedMessage(len(a.TypeProtos), appendDecoded(&a.TypeProtos, d.typeProto))
		case 20:
			err = r.int32Field((*int32)(&a.Type))
		case 21:
			err = r.stringField(&a.RefAttrName)
		default:
			err = r.keep()
		}
		return err
	})
}

func (a *Attribute) fields() []fieldInfo                { return attributeFields }
func (a *Attribute) wireInfo() (*wireState, []RawField) { return &a.wire, a.Unknown }

func (a *Attribute) fieldLen(num int32) int {
	w := &a.wire
	switch num {
	case 1:
		return w.present(1, a.Name != "")
	case 2:
		return w.present(2, math.Float32bits(a.F) != 0)
	case 3:
		return w.present(3, a.I != 0)
	case 4:
		return w.present(4, len(a.S) > 0)
	case 5:
		return boolInt(a.T != nil)
	case 6:
		return boolInt(a.G != nil)
	case 7:
		return len(a.Floats)
	case 8:
		return len(a.Ints)
	case 9:
		return len(a.Strings)
	case 10:
		return len(a.Tensors)
	case 11:
		return len(a.Graphs)
	case 13:
		return w.present(13, a.DocString != "")
	case 14:
		return boolInt(a.TP != nil)
	case 15:
		return len(a.TypeProtos)
	case 20:
		return w.present(20, a.Type != 0)
	case 21:
		return w.present(21, a.RefAttrName != "")
	}
	return 0
}

func (a *Attribute) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.stringField(1, a.Name)
	case 2:
		e.float32Field(2, a.F)
	case 3:
		e.varintField(3, a.I)
	case 4:
		e.bytesField(4, a.S)
	case 5:
		return e.message(5, a.T)
	case 6:
		return e.message(6, a.G)
	case 7:
		floats(e, 7, a.Floats, from, to, packed, float32Wire)
	case 8:
		varints(e, 8, a.Ints, from, to, packed)
	case 9:
		byteStrings(e, 9, a.Strings, from, to)
	case 10:
		return messages(e, 10, a.Tensors, from, to)
	case 11:
		return messages(e, 11, a.Graphs, from, to)
	case 13:
		e.stringField(13, a.DocString)
	case 14:
		return e.message(14, a.TP)
	case 15:
		return messages(e, 15, a.TypeProtos, from, to)
	case 20:
		e.varintField(20, int64(a.Type))
	case 21:
		e.stringField(21, a.RefAttrName)
	}
	return nil
}
