package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// floatWire says how one float element type is laid out on the wire: as a
// fixed-width little-endian value of size bytes. It lets one reader and one
// writer serve the float (float32) and double (float64) repeated fields.
type floatWire[V float32 | float64] struct {
	typ    protowire.Type // wire type of one unpacked element
	size   int            // bytes per element
	decode func(b []byte) V
	append func(b []byte, v V) []byte
}

var (
	float32Wire = floatWire[float32]{
		typ:    protowire.Fixed32Type,
		size:   4,
		decode: func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) },
		append: func(b []byte, v float32) []byte { return protowire.AppendFixed32(b, math.Float32bits(v)) },
	}
	float64Wire = floatWire[float64]{
		typ:    protowire.Fixed64Type,
		size:   8,
		decode: func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) },
		append: func(b []byte, v float64) []byte { return protowire.AppendFixed64(b, math.Float64bits(v)) },
	}
)
