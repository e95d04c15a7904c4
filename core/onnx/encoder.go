package onnx

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// encoder appends wire bytes to buf, or, in sizing mode, only counts them.
// A length-delimited sub-message is sized first (one sizing pass over it)
// and then written straight into buf, so large payloads are copied once.
type encoder struct {
	buf        []byte
	sizing     bool
	n          int // bytes counted in sizing mode
	graphDepth int
}

func (e *encoder) tag(num int32, typ protowire.Type) {
	e.varint(protowire.EncodeTag(protowire.Number(num), typ))
}

func (e *encoder) varint(v uint64) {
	if e.sizing {
		e.n += protowire.SizeVarint(v)
		return
	}
	e.buf = protowire.AppendVarint(e.buf, v)
}

func (e *encoder) fixed32(v uint32) {
	if e.sizing {
		e.n += 4
		return
	}
	e.buf = protowire.AppendFixed32(e.buf, v)
}

// raw writes bytes verbatim (an unknown field kept as read).
func (e *encoder) raw(b []byte) {
	if e.sizing {
		e.n += len(b)
		return
	}
	e.buf = append(e.buf, b...)
}

func (e *encoder) bytesField(num int32, b []byte) {
	e.tag(num, protowire.BytesType)
	e.varint(uint64(len(b)))
	e.raw(b)
}

func (e *encoder) stringField(num int32, s string) {
	e.tag(num, protowire.BytesType)
	e.varint(uint64(len(s)))
	if e.sizing {
		e.n += len(s)
		return
	}
	e.buf = append(e.buf, s...)
}

// varintField writes a singular int32/int64/enum field; negative values
// take ten bytes, as proto2 requires for int32 too.
func (e *encoder) varintField(num int32, v int64) {
	e.tag(num, protowire.VarintType)
	e.varint(uint64(v))
}

func (e *encoder) float32Field(num int32, f float32) {
	e.tag(num, protowire.Fixed32Type)
	e.fixed32(math.Float32bits(f))
}

// sizeOf returns the encoded size of m's fields (without tag and length).
func (e *encoder) sizeOf(m wireMessage) (int, error) {
	s := encoder{sizing: true, graphDepth: e.graphDepth}
	if err := s.messageBody(m); err != nil {
		return 0, err
	}
	return s.n, nil
}

func (e *encoder) messageBody(m wireMessage) error {
	if _, isGraph := m.(*Graph); isGraph {
		if e.graphDepth >= MaxGraphDepth {
			return fmt.Errorf("onnx: encode: graphs nested deeper than %d (a graph that contains itself?)", MaxGraphDepth)
		}
		e.graphDepth++
		defer func() { e.graphDepth-- }()
	}
	return encodeFields(e, m)
}

// message writes m as length-delimited field num.
func (e *encoder) message(num int32, m wireMessage) error {
	size, err := e.sizeOf(m)
	if err != nil {
		return err
	}
	e.tag(num, protowire.BytesType)
	e.varint(uint64(size))
	if e.sizing {
		e.n += size
		return nil
	}
	start := len(e.buf)
	if err := e.messageBody(m); err != nil {
		return err
	}
	if got := len(e.buf) - start; got != size {
		return fmt.Errorf("onnx: encode: internal error: %T sized %d bytes but wrote %d", m, size, got)
	}
	return nil
}

// messages writes ms[from:to] as repeated message field num. A nil element
// is written as an empty message, so the count stays what the slice says.
func messages[M interface {
	*T
	wireMessage
}, T any](e *encoder, num int32, ms []M, from, to int) error {
	for _, m := range ms[from:to] {
		if m == nil {
			m = new(T)
		}
		if err := e.message(num, m); err != nil {
			return err
		}
	}
	return nil
}

func byteStrings[S ~string | ~[]byte](e *encoder, num int32, vs []S, from, to int) {
	for _, v := range vs[from:to] {
		e.tag(num, protowire.BytesType)
		e.varint(uint64(len(v)))
		if e.sizing {
			e.n += len(v)
		} else {
			e.buf = append(e.buf, v...)
		}
	}
}

// varints writes vs[from:to] of a repeated int32/int64/uint64 field, signed
// values sign-extended as proto2 does.
func varints[V int32 | int64 | uint64](e *encoder, num int32, vs []V, from, to int, packed bool) {
	vs = vs[from:to]
	if !packed {
		for _, v := range vs {
			e.tag(num, protowire.VarintType)
			e.varint(uint64(int64(v)))
		}
		return
	}
	size := 0
	for _, v := range vs {
		size += protowire.SizeVarint(uint64(int64(v)))
	}
	e.tag(num, protowire.BytesType)
	e.varint(uint64(size))
	if e.sizing {
		e.n += size
		return
	}
	for _, v := range vs {
		e.buf = protowire.AppendVarint(e.buf, uint64(int64(v)))
	}
}

// floats writes vs[from:to] of a repeated float or double field.
func floats[V float32 | float64](e *encoder, num int32, vs []V, from, to int, packed bool, w floatWire[V]) {
	vs = vs[from:to]
	if !packed {
		for _, v := range vs {
			e.tag(num, w.typ)
			if e.sizing {
				e.n += w.size
			} else {
				e.buf = w.append(e.buf, v)
			}
		}
		return
	}
	e.tag(num, protowire.BytesType)
	e.varint(uint64(w.size * len(vs)))
	if e.sizing {
		e.n += w.size * len(vs)
		return
	}
	for _, v := range vs {
		e.buf = w.append(e.buf, v)
	}
}

// encodeTop encodes a top-level message into a buffer of exactly its size.
func encodeTop(m wireMessage) ([]byte, error) {
	var e encoder
	size, err := e.sizeOf(m)
	if err != nil {
		return nil, err
	}
	e.buf = make([]byte, 0, size)
	if err := e.messageBody(m); err != nil {
		return nil, err
	}
	return e.buf, nil
}
