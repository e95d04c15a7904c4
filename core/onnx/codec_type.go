package onnx

// Wire codec of ValueInfoProto, TypeProto, TypeProto.Tensor,
// TensorShapeProto and TensorShapeProto.Dimension.

var valueInfoFields = []fieldInfo{
	{num: 1, name: "name"},
	{num: 2, name: "type"},
	{num: 3, name: "doc_string"},
	{num: 4, name: "metadata_props"},
}

func (d *decoder) valueInfo(b []byte, v *ValueInfo) error {
	r := newReader(d, b, valueInfoFields, &v.wire, &v.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.stringField(&v.Name)
		case 2:
			err = r.messageField(func(p []byte) error {
				v.Type = new(TypeProto)
				return d.typeProto(p, v.Type)
			})
		case 3:
			err = r.stringField(&v.DocString)
		case 4:
			err = r.repeatedMessage(len(v.MetadataProps), appendDecoded(&v.MetadataProps, d.stringEntry))
		default:
			err = r.keep()
		}
		return err
	})
}

func (v *ValueInfo) fields() []fieldInfo                { return valueInfoFields }
func (v *ValueInfo) wireInfo() (*wireState, []RawField) { return &v.wire, v.Unknown }

func (v *ValueInfo) fieldLen(num int32) int {
	switch num {
	case 1:
		return v.wire.present(1, v.Name != "")
	case 2:
		return boolInt(v.Type != nil)
	case 3:
		return v.wire.present(3, v.DocString != "")
	case 4:
		return len(v.MetadataProps)
	}
	return 0
}

func (v *ValueInfo) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.stringField(1, v.Name)
	case 2:
		return e.message(2, v.Type)
	case 3:
		e.stringField(3, v.DocString)
	case 4:
		return messages(e, 4, v.MetadataProps, from, to)
	}
	return nil
}

var typeProtoFields = []fieldInfo{
	{num: 1, name: "tensor_type"},
	{num: 6, name: "denotation"},
}

func (d *decoder) typeProto(b []byte, t *TypeProto) error {
	r := newReader(d, b, typeProtoFields, &t.wire, &t.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.messageField(func(p []byte) error {
				t.TensorType = new(TensorType)
				return d.tensorType(p, t.TensorType)
			})
		case 6:
			err = r.stringField(&t.Denotation)
		default:
			err = r.keep()
		}
		return err
	})
}

func (t *TypeProto) fields() []fieldInfo                { return typeProtoFields }
func (t *TypeProto) wireInfo() (*wireState, []RawField) { return &t.wire, t.Unknown }

func (t *TypeProto) fieldLen(num int32) int {
	switch num {
	case 1:
		return boolInt(t.TensorType != nil)
	case 6:
		return t.wire.present(6, t.Denotation != "")
	}
	return 0
}

func (t *TypeProto) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		return e.message(1, t.TensorType)
	case 6:
		e.stringField(6, t.Denotation)
	}
	return nil
}

var tensorTypeFields = []fieldInfo{
	{num: 1, name: "elem_type"},
	{num: 2, name: "shape"},
}

func (d *decoder) tensorType(b []byte, t *TensorType) error {
	r := newReader(d, b, tensorTypeFields, &t.wire, &t.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.int32Field((*int32)(&t.ElemType))
		case 2:
			err = r.messageField(func(p []byte) error {
				t.Shape = new(TensorShape)
				return d.tensorShape(p, t.Shape)
			})
		default:
			err = r.keep()
		}
		return err
	})
}

func (t *TensorType) fields() []fieldInfo                { return tensorTypeFields }
func (t *TensorType) wireInfo() (*wireState, []RawField) { return &t.wire, t.Unknown }

func (t *TensorType) fieldLen(num int32) int {
	switch num {
	case 1:
		return t.wire.present(1, t.ElemType != 0)
	case 2:
		return boolInt(t.Shape != nil)
	}
	return 0
}

func (t *TensorType) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.varintField(1, int64(t.ElemType))
	case 2:
		return e.message(2, t.Shape)
	}
	return nil
}

var tensorShapeFields = []fieldInfo{
	{num: 1, name: "dim"},
}

func (d *decoder) tensorShape(b []byte, s *TensorShape) error {
	r := newReader(d, b, tensorShapeFields, &s.wire, &s.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.repeatedMessage(len(s.Dim), appendDecoded(&s.Dim, d.dimension))
		default:
			err = r.keep()
		}
		return err
	})
}

func (s *TensorShape) fields() []fieldInfo                { return tensorShapeFields }
func (s *TensorShape) wireInfo() (*wireState, []RawField) { return &s.wire, s.Unknown }

func (s *TensorShape) fieldLen(num int32) int {
	if num == 1 {
		return len(s.Dim)
	}
	return 0
}

func (s *TensorShape) emitField(e *encoder, num int32, from, to int, packed bool) error {
	if num == 1 {
		return messages(e, 1, s.Dim, from, to)
	}
	return nil
}

var dimensionFields = []fieldInfo{
	{num: 1, name: "dim_value"},
	{num: 2, name: "dim_param"},
	{num: 3, name: "denotation"},
}

func (d *decoder) dimension(b []byte, dim *Dimension) error {
	r := newReader(d, b, dimensionFields, &dim.wire, &dim.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.int64Field(&dim.Value)
			dim.HasValue = r.seen&(1<<1) != 0
		case 2:
			err = r.stringField(&dim.Param)
		case 3:
			err = r.stringField(&dim.Denotation)
		default:
			err = r.keep()
		}
		return err
	})
}

func (dim *Dimension) fields() []fieldInfo                { return dimensionFields }
func (dim *Dimension) wireInfo() (*wireState, []RawField) { return &dim.wire, dim.Unknown }

func (dim *Dimension) fieldLen(num int32) int {
	switch num {
	case 1:
		return boolInt(dim.HasValue || dim.Value != 0)
	case 2:
		return dim.wire.present(2, dim.Param != "")
	case 3:
		return dim.wire.present(3, dim.Denotation != "")
	}
	return 0
}

func (dim *Dimension) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.varintField(1, dim.Value)
	case 2:
		e.stringField(2, dim.Param)
	case 3:
		e.stringField(3, dim.Denotation)
	}
	return nil
}
