package onnx

// wireState remembers how a message was laid out on the wire where proto2
// allows more than one encoding (presence of zero-valued optional fields,
// packed or unpacked repeated scalars, field order), so that an untouched
// message re-encodes byte for byte. The zero value means "canonical".
type wireState struct{}
