package onnx

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// MaxGraphDepth bounds how deeply graphs may nest inside attributes (If,
// Loop, Scan bodies). Real models nest a few levels; the bound keeps hostile
// input from exhausting the stack.
const MaxGraphDepth = 64

// DecodeError reports malformed input. Path names the message and field
// where decoding failed, e.g. "graph.node[12].attribute[3]".
type DecodeError struct {
	Path    string
	Problem string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return "onnx: " + e.Problem
	}
	return "onnx: " + e.Path + ": " + e.Problem
}

// pathError accumulates the path while the error unwinds; it becomes a
// DecodeError at the top.
type pathError struct {
	path    []string // innermost last, built in reverse while unwinding
	problem string
}

func (e *pathError) Error() string { return e.final().Error() }

func (e *pathError) final() *DecodeError {
	p := slices.Clone(e.path)
	slices.Reverse(p)
	return &DecodeError{Path: strings.Join(p, "."), Problem: e.problem}
}

// within prefixes err's path with elem ("node[3]", "graph").
func within(err error, elem string) error {
	var pe *pathError
	if errors.As(err, &pe) {
		pe.path = append(pe.path, elem)
	}
	return err
}

func finish(err error) error {
	var pe *pathError
	if errors.As(err, &pe) {
		return pe.final()
	}
	return err
}

// decoder carries state across nested messages.
type decoder struct {
	graphDepth int
}

// fieldReader walks the fields of one message, recording its layout in ws
// and keeping fields it does not interpret in unknown.
type fieldReader struct {
	d       *decoder
	b       []byte // unread input
	table   []fieldInfo
	ws      *wireState
	unknown *[]RawField
	seen    uint64 // singular fields already read (first occurrence wins)

	// the current field
	num    int32
	typ    protowire.Type
	start  []byte // input from the current field's tag on
	tagLen int
}

func newReader(d *decoder, b []byte, table []fieldInfo, ws *wireState, unknown *[]RawField) *fieldReader {
	return &fieldReader{d: d, b: b, table: table, ws: ws, unknown: unknown}
}

func (r *fieldReader) next() (bool, error) {
	if len(r.b) == 0 {
		return false, nil
	}
	num, typ, n := protowire.ConsumeTag(r.b)
	if n < 0 {
		return false, &pathError{problem: "bad field tag: " + problemOf(n)}
	}
	r.num, r.typ, r.start, r.tagLen = int32(num), typ, r.b, n
	r.b = r.b[n:]
	return true, nil
}

func problemOf(n int) string {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated"
	}
	return err.Error()
}

// fieldErr names the current field.
func (r *fieldReader) fieldErr(problem string) error {
	name := fieldName(r.table, r.num)
	if name == "" {
		name = fmt.Sprintf("field %d", r.num)
	}
	return &pathError{path: []string{name}, problem: problem}
}

// keep stores the current field verbatim in unknown.
func (r *fieldReader) keep() error {
	m := protowire.ConsumeFieldValue(protowire.Number(r.num), r.typ, r.b)
	if m < 0 {
		return r.fieldErr(problemOf(m))
	}
	raw := r.start[: r.tagLen+m : r.tagLen+m]
	*r.unknown = append(*r.unknown, RawField{Num: r.num, Bytes: raw})
	r.ws.addUnknown(r.num)
	r.b = r.b[m:]
	return nil
}

// singular reports whether the current field can be read as the singular
// field of wire type want. A wrong wire type or a repeated occurrence is
// kept as unknown instead, so nothing is lost and the first value wins.
func (r *fieldReader) singular(want protowire.Type) bool {
	if r.typ != want || r.num >= 64 || r.seen&(1<<uint(r.num)) != 0 {
		return false
	}
	r.seen |= 1 << uint(r.num)
	return true
}

func (r *fieldReader) rawVarint() (uint64, error) {
	v, n := protowire.ConsumeVarint(r.b)
	if n < 0 {
		return 0, r.fieldErr(problemOf(n))
	}
	r.b = r.b[n:]
	return v, nil
}

// payload consumes a length-delimited value, aliasing the input; its
// capacity is clipped so appending to it can never overwrite the input.
func (r *fieldReader) payload() ([]byte, error) {
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		return nil, r.fieldErr(problemOf(n))
	}
	r.b = r.b[n:]
	return v[:len(v):len(v)], nil
}

func (r *fieldReader) present(zero bool) {
	r.ws.addKnown(r.num, 1, false)
	if zero {
		r.ws.markZero(r.num)
	}
}

func (r *fieldReader) int64Field(dst *int64) error { return varintField(r, dst) }

func (r *fieldReader) int32Field(dst *int32) error { return varintField(r, dst) }

// varintField reads a singular varint field into dst, truncating to T as
// protobuf does for int32 fields. It is a function rather than a method
// because methods cannot have type parameters.
func varintField[T int32 | int64](r *fieldReader, dst *T) error {
	if !r.singular(protowire.VarintType) {
		return r.keep()
	}
	v, err := r.rawVarint()
	if err != nil {
		return err
	}
	*dst = T(v)
	r.present(*dst == 0)
	return nil
}

func (r *fieldReader) float32Field(dst *float32) error {
	if !r.singular(protowire.Fixed32Type) {
		return r.keep()
	}
	v, n := protowire.ConsumeFixed32(r.b)
	if n < 0 {
		return r.fieldErr(problemOf(n))
	}
	r.b = r.b[n:]
	*dst = math.Float32frombits(v)
	r.present(v == 0)
	return nil
}

func (r *fieldReader) stringField(dst *string) error { return bytesLikeField(r, dst) }

// bytesField aliases the input (see payload).
func (r *fieldReader) bytesField(dst *[]byte) error { return bytesLikeField(r, dst) }

// bytesLikeField reads a singular length-delimited string or bytes field.
func bytesLikeField[S ~string | ~[]byte](r *fieldReader, dst *S) error {
	if !r.singular(protowire.BytesType) {
		return r.keep()
	}
	v, err := r.payload()
	if err != nil {
		return err
	}
	*dst = S(v)
	r.present(len(v) == 0)
	return nil
}

// messageField decodes a singular sub-message with dec.
func (r *fieldReader) messageField(dec func([]byte) error) error {
	if !r.singular(protowire.BytesType) {
		return r.keep()
	}
	v, err := r.payload()
	if err != nil {
		return err
	}
	if err := dec(v); err != nil {
		return within(err, fieldName(r.table, r.num))
	}
	r.ws.addKnown(r.num, 1, false)
	return nil
}

// forEach calls field once for every field of the message, in wire order,
// with r positioned on it (r.num, r.typ), and stops at the first error.
func (r *fieldReader) forEach(field func() error) error {
	for {
		more, err := r.next()
		if err != nil || !more {
			return err
		}
		if err := field(); err != nil {
			return err
		}
	}
}

// appendDecoded is the element decoder of a repeated sub-message field: it
// appends a new element to *list and decodes the payload into it.
func appendDecoded[T any](list *[]*T, decode func([]byte, *T) error) func([]byte) error {
	return func(p []byte) error {
		v := new(T)
		*list = append(*list, v)
		return decode(p, v)
	}
}

// repeatedMessage decodes one element of a repeated sub-message field;
// index is its position in the field, for error paths.
func (r *fieldReader) repeatedMessage(index int, dec func([]byte) error) error {
	if r.typ != protowire.BytesType {
		return r.keep()
	}
	elem := fmt.Sprintf("%s[%d]", fieldName(r.table, r.num), index)
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		return &pathError{path: []string{elem}, problem: problemOf(n)}
	}
	r.b = r.b[n:]
	if err := dec(v[:len(v):len(v)]); err != nil {
		return within(err, elem)
	}
	r.ws.addKnown(r.num, 1, false)
	return nil
}

func repeatedString[S ~string | ~[]byte](r *fieldReader, dst *[]S) error {
	if r.typ != protowire.BytesType {
		return r.keep()
	}
	v, err := r.payload()
	if err != nil {
		return err
	}
	*dst = append(*dst, S(v))
	r.ws.addKnown(r.num, 1, false)
	return nil
}

// repeatedVarint reads one value (unpacked) or one packed chunk of a
// repeated int32/int64/uint64 field. The count of a packed chunk is known
// from its bytes before anything is allocated.
func repeatedVarint[V int32 | int64 | uint64](r *fieldReader, dst *[]V) error {
	switch r.typ {
	case protowire.VarintType:
		v, err := r.rawVarint()
		if err != nil {
			return err
		}
		*dst = append(*dst, V(v))
		r.ws.addKnown(r.num, 1, false)
		return nil
	case protowire.BytesType:
		p, err := r.payload()
		if err != nil {
			return err
		}
		count := 0
		for _, c := range p {
			if c < 0x80 {
				count++
			}
		}
		*dst = slices.Grow(*dst, count)
		for len(p) > 0 {
			v, n := protowire.ConsumeVarint(p)
			if n < 0 {
				return r.fieldErr("packed values: " + problemOf(n))
			}
			*dst = append(*dst, V(v))
			p = p[n:]
		}
		r.ws.addKnown(r.num, count, true)
		return nil
	}
	return r.keep()
}

// repeatedFloats reads one value (unpacked) or one packed chunk of a
// repeated float or double field.
func repeatedFloats[V float32 | float64](r *fieldReader, dst *[]V, w floatWire[V]) error {
	switch r.typ {
	case w.typ:
		n := protowire.ConsumeFieldValue(protowire.Number(r.num), r.typ, r.b)
		if n < 0 {
			return r.fieldErr(problemOf(n))
		}
		*dst = append(*dst, w.decode(r.b[:n]))
		r.b = r.b[n:]
		r.ws.addKnown(r.num, 1, false)
		return nil
	case protowire.BytesType:
		p, err := r.payload()
		if err != nil {
			return err
		}
		if len(p)%w.size != 0 {
			return r.fieldErr(fmt.Sprintf("packed %T values take %d bytes, not a multiple of %d", V(0), len(p), w.size))
		}
		count := len(p) / w.size
		*dst = slices.Grow(*dst, count)
		for i := 0; i < len(p); i += w.size {
			*dst = append(*dst, w.decode(p[i:]))
		}
		r.ws.addKnown(r.num, count, true)
		return nil
	}
	return r.keep()
}
