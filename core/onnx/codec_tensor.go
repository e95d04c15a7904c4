package onnx

// Wire codec of TensorProto.

var tensorFields = []fieldInfo{
	{num: 1, name: "dims"},
	{num: 2, name: "data_type"},
	{num: 3, name: "segment"},
	{num: 4, name: "float_data", packedDefault: true},
	{num: 5, name: "int32_data", packedDefault: true},
	{num: 6, name: "string_data"},
	{num: 7, name: "int64_data", packedDefault: true},
	{num: 8, name: "name"},
	{num: 9, name: "raw_data"},
	{num: 10, name: "double_data", packedDefault: true},
	{num: 11, name: "uint64_data", packedDefault: true},
	{num: 12, name: "doc_string"},
	{num: 13, name: "external_data"},
	{num: 14, name: "data_location"},
	{num: 16, name: "metadata_props"},
}

func (d *decoder) tensor(b []byte, t *Tensor) error {
	r := newReader(d, b, tensorFields, &t.wire, &t.Unknown)
	return r.forEach(func() error { return d.tensorField(r, t) })
}

// tensorField decodes the field r is positioned on into t (Decode and the
// streaming decoder, stream.go, share it).
func (d *decoder) tensorField(r *fieldReader, t *Tensor) (err error) {
	switch r.num {
	case 1:
		err = repeatedVarint(r, &t.Dims)
	case 2:
		err = r.int32Field((*int32)(&t.DataType))
	case 3:
		err = r.bytesField(&t.Segment)
	case 4:
		err = repeatedFloats(r, &t.FloatData, float32Wire)
	case 5:
		err = repeatedVarint(r, &t.Int32Data)
	case 6:
		err = repeatedString(r, &t.StringData)
	case 7:
		err = repeatedVarint(r, &t.Int64Data)
	case 8:
		err = r.stringField(&t.Name)
	case 9:
		err = r.bytesField(&t.RawData)
	case 10:
		err = repeatedFloats(r, &t.DoubleData, float64Wire)
	case 11:
		err = repeatedVarint(r, &t.Uint64Data)
	case 12:
		err = r.stringField(&t.DocString)
	case 13:
		err = r.repeatedMessage(len(t.ExternalData), appendDecoded(&t.ExternalData, d.stringEntry))
	case 14:
		err = r.int32Field(&t.DataLocation)
	case 16:
		err = r.repeatedMessage(len(t.MetadataProps), appendDecoded(&t.MetadataProps, d.stringEntry))
	default:
		err = r.keep()
	}
	return err
}

func (t *Tensor) fields() []fieldInfo                { return tensorFields }
func (t *Tensor) wireInfo() (*wireState, []RawField) { return &t.wire, t.Unknown }

func (t *Tensor) fieldLen(num int32) int {
	w := &t.wire
	switch num {
	case 1:
		return len(t.Dims)
	case 2:
		return w.present(2, t.DataType != 0)
	case 3:
		return w.present(3, len(t.Segment) > 0)
	case 4:
		return len(t.FloatData)
	case 5:
		return len(t.Int32Data)
	case 6:
		return len(t.StringData)
	case 7:
		return len(t.Int64Data)
	case 8:
		return w.present(8, t.Name != "")
	case 9:
		return w.present(9, len(t.RawData) > 0)
	case 10:
		return len(t.DoubleData)
	case 11:
		return len(t.Uint64Data)
	case 12:
		return w.present(12, t.DocString != "")
	case 13:
		return len(t.ExternalData)
	case 14:
		return w.present(14, t.DataLocation != 0)
	case 16:
		return len(t.MetadataProps)
	}
	return 0
}

func (t *Tensor) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		varints(e, 1, t.Dims, from, to, packed)
	case 2:
		e.varintField(2, int64(t.DataType))
	case 3:
		e.bytesField(3, t.Segment)
	case 4:
		floats(e, 4, t.FloatData, from, to, packed, float32Wire)
	case 5:
		varints(e, 5, t.Int32Data, from, to, packed)
	case 6:
		byteStrings(e, 6, t.StringData, from, to)
	case 7:
		varints(e, 7, t.Int64Data, from, to, packed)
	case 8:
		e.stringField(8, t.Name)
	case 9:
		e.bytesField(9, t.RawData)
	case 10:
		floats(e, 10, t.DoubleData, from, to, packed, float64Wire)
	case 11:
		varints(e, 11, t.Uint64Data, from, to, packed)
	case 12:
		e.stringField(12, t.DocString)
	case 13:
		return messages(e, 13, t.ExternalData, from, to)
	case 14:
		e.varintField(14, int64(t.DataLocation))
	case 16:
		return messages(e, 16, t.MetadataProps, from, to)
	}
	return nil
}
