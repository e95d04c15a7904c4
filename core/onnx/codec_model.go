package onnx

// Wire codec of ModelProto, OperatorSetIdProto and StringStringEntryProto.

var modelFields = []fieldInfo{
	{num: 1, name: "ir_version"},
	{num: 2, name: "producer_name"},
	{num: 3, name: "producer_version"},
	{num: 4, name: "domain"},
	{num: 5, name: "model_version"},
	{num: 6, name: "doc_string"},
	{num: 7, name: "graph"},
	{num: 8, name: "opset_import"},
	{num: 14, name: "metadata_props"},
}

func (d *decoder) model(b []byte, m *Model) error {
	r := newReader(d, b, modelFields, &m.wire, &m.Unknown)
	return r.forEach(func() error { return d.modelField(r, m) })
}

// modelField decodes the field r is positioned on into m (Decode and the
// streaming decoder, stream.go, share it).
func (d *decoder) modelField(r *fieldReader, m *Model) (err error) {
	switch r.num {
	case 1:
		err = r.int64Field(&m.IRVersion)
	case 2:
		err = r.stringField(&m.ProducerName)
	case 3:
		err = r.stringField(&m.ProducerVersion)
	case 4:
		err = r.stringField(&m.Domain)
	case 5:
		err = r.int64Field(&m.ModelVersion)
	case 6:
		err = r.stringField(&m.DocString)
	case 7:
		err = r.messageField(func(p []byte) error {
			m.Graph = new(Graph)
			return d.graph(p, m.Graph)
		})
	case 8:
		err = r.repeatedMessage(len(m.OpsetImport), appendDecoded(&m.OpsetImport, d.operatorSet))
	case 14:
		err = r.repeatedMessage(len(m.MetadataProps), appendDecoded(&m.MetadataProps, d.stringEntry))
	default:
		err = r.keep()
	}
	return err
}

func (m *Model) fields() []fieldInfo                { return modelFields }
func (m *Model) wireInfo() (*wireState, []RawField) { return &m.wire, m.Unknown }

func (m *Model) fieldLen(num int32) int {
	w := &m.wire
	switch num {
	case 1:
		return w.present(1, m.IRVersion != 0)
	case 2:
		return w.present(2, m.ProducerName != "")
	case 3:
		return w.present(3, m.ProducerVersion != "")
	case 4:
		return w.present(4, m.Domain != "")
	case 5:
		return w.present(5, m.ModelVersion != 0)
	case 6:
		return w.present(6, m.DocString != "")
	case 7:
		return boolInt(m.Graph != nil)
	case 8:
		return len(m.OpsetImport)
	case 14:
		return len(m.MetadataProps)
	}
	return 0
}

func (m *Model) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.varintField(1, m.IRVersion)
	case 2:
		e.stringField(2, m.ProducerName)
	case 3:
		e.stringField(3, m.ProducerVersion)
	case 4:
		e.stringField(4, m.Domain)
	case 5:
		e.varintField(5, m.ModelVersion)
	case 6:
		e.stringField(6, m.DocString)
	case 7:
		return e.message(7, m.Graph)
	case 8:
		return messages(e, 8, m.OpsetImport, from, to)
	case 14:
		return messages(e, 14, m.MetadataProps, from, to)
	}
	return nil
}

var operatorSetFields = []fieldInfo{
	{num: 1, name: "domain"},
	{num: 2, name: "version"},
}

func (d *decoder) operatorSet(b []byte, o *OperatorSet) error {
	r := newReader(d, b, operatorSetFields, &o.wire, &o.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.stringField(&o.Domain)
		case 2:
			err = r.int64Field(&o.Version)
		default:
			err = r.keep()
		}
		return err
	})
}

func (o *OperatorSet) fields() []fieldInfo                { return operatorSetFields }
func (o *OperatorSet) wireInfo() (*wireState, []RawField) { return &o.wire, o.Unknown }

func (o *OperatorSet) fieldLen(num int32) int {
	switch num {
	case 1:
		return o.wire.present(1, o.Domain != "")
	case 2:
		return o.wire.present(2, o.Version != 0)
	}
	return 0
}

func (o *OperatorSet) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.stringField(1, o.Domain)
	case 2:
		e.varintField(2, o.Version)
	}
	return nil
}

var stringEntryFields = []fieldInfo{
	{num: 1, name: "key"},
	{num: 2, name: "value"},
}

func (d *decoder) stringEntry(b []byte, s *StringEntry) error {
	r := newReader(d, b, stringEntryFields, &s.wire, &s.Unknown)
	return r.forEach(func() (err error) {
		switch r.num {
		case 1:
			err = r.stringField(&s.Key)
		case 2:
			err = r.stringField(&s.Value)
		default:
			err = r.keep()
		}
		return err
	})
}

func (s *StringEntry) fields() []fieldInfo                { return stringEntryFields }
func (s *StringEntry) wireInfo() (*wireState, []RawField) { return &s.wire, s.Unknown }

func (s *StringEntry) fieldLen(num int32) int {
	switch num {
	case 1:
		return s.wire.present(1, s.Key != "")
	case 2:
		return s.wire.present(2, s.Value != "")
	}
	return 0
}

func (s *StringEntry) emitField(e *encoder, num int32, from, to int, packed bool) error {
	switch num {
	case 1:
		e.stringField(1, s.Key)
	case 2:
		e.stringField(2, s.Value)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
