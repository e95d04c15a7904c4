package onnx

// Decode parses a serialized ModelProto.
//
// The returned model aliases data: RawData, Attribute.S, string_data and
// the bytes of unknown fields are sub-slices of data rather than copies, so
// that decoding a model with hundreds of megabytes of weights costs no
// second copy. Do not modify data while the model is in use. The aliases
// have their capacity clipped, so appending to them never writes into data.
//
// Fields this package does not interpret are kept verbatim in the
// messages' Unknown, and the wire layout (field order, packing, explicitly
// present zero values) is remembered, so Encode(Decode(data)) == data for
// any file a protobuf serializer wrote.
func Decode(data []byte) (*Model, error) {
	var d decoder
	m := new(Model)
	if err := d.model(data, m); err != nil {
		return nil, finish(err)
	}
	return m, nil
}

// Encode serializes m. Messages decoded by Decode keep their original
// layout; edited or new parts are written as a canonical serializer would
// (field-number order, default packing). A nil element of a repeated
// message field is written as an empty message.
func Encode(m *Model) ([]byte, error) {
	return encodeTop(m)
}

// DecodeTensor parses a standalone serialized TensorProto, such as the
// input_N.pb and output_N.pb files of the ONNX backend tests. Like Decode,
// the result aliases data.
func DecodeTensor(data []byte) (*Tensor, error) {
	var d decoder
	t := new(Tensor)
	if err := d.tensor(data, t); err != nil {
		return nil, finish(within(err, "tensor"))
	}
	return t, nil
}

// EncodeTensor serializes t as a standalone TensorProto.
func EncodeTensor(t *Tensor) ([]byte, error) {
	return encodeTop(t)
}
