package onnx

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// TakeFunc receives each initializer of a model's main graph while
// DecodeReader decodes it, before the next one is read. It returns true
// when it has taken the tensor's values: the decoder then drops them from
// the tensor, which keeps its name, data type, dims and other fields, so
// the model never holds them. It returns false to leave the tensor whole.
// An error stops decoding.
//
// A non-empty RawData starts at an 8-byte aligned address of a buffer
// that nothing else of the model uses (the decoder reads each initializer
// into a buffer of its own and copies out its other byte fields): take may
// keep it, as storage for the converted values, and write to it.
type TakeFunc func(t *Tensor) (taken bool, err error)

// DecodeReader decodes a serialized ModelProto of size bytes read from r,
// field by field, so that the input is never held whole. The model equals
// what Decode returns for the same bytes (the same values, unknown fields
// and wire layout; Encode writes the same file), but it aliases no shared
// buffer: each field of the model and of its main graph is read into its
// own, and an initializer dropped from the model can be collected.
//
// With take (nil to keep everything), each initializer of the main graph
// is passed to take as soon as it is decoded; the values take keeps are
// dropped from the model (see TakeFunc). A caller that converts the
// weights this way holds them about once while loading, instead of the
// file's bytes and the converted weights together.
//
// Every length is checked against the bytes left in its enclosing message
// (and so against size) before anything is allocated for it, and malformed
// input is reported as Decode reports it. r must yield size bytes; if it
// ends sooner, DecodeReader fails.
func DecodeReader(r io.Reader, size int64, take TakeFunc) (*Model, error) {
	if size < 0 {
		return nil, fmt.Errorf("onnx: negative input size %d", size)
	}
	s := &streamDecoder{in: bufio.NewReaderSize(r, 64<<10), size: size, take: take}
	m := new(Model)
	if err := s.model(m); err != nil {
		return nil, finish(err)
	}
	return m, nil
}

// streamDecoder feeds the in-memory decoder one field at a time, except
// for the model's graph, whose fields it reads one at a time in turn.
type streamDecoder struct {
	decoder
	in   *bufio.Reader
	size int64 // bytes the input was said to hold
	read int64 // bytes consumed so far
	take TakeFunc
}

// maxHeader is the longest tag plus length prefix: two 10-byte varints.
const maxHeader = 2 * binary.MaxVarintLen64

// extent sizes the next field of a message with left bytes unread from its
// tag and, if length-delimited, its length, without consuming anything. ok
// is false when the header does not say (a malformed varint, a group, a
// length past the end of the message): the caller then hands the rest of
// the message to the in-memory decoder, which reports it as Decode would.
func (s *streamDecoder) extent(left int64) (num protowire.Number, typ protowire.Type, hdr int, total int64, ok bool) {
	b, _ := s.in.Peek(int(min(left, int64(maxHeader)))) // a short peek fails below or in fill
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, 0, false
	}
	switch typ {
	case protowire.VarintType:
		_, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return 0, 0, 0, 0, false
		}
		hdr, total = n, int64(n+m)
	case protowire.Fixed32Type:
		hdr, total = n, int64(n+4)
	case protowire.Fixed64Type:
		hdr, total = n, int64(n+8)
	case protowire.BytesType:
		l, m := protowire.ConsumeVarint(b[n:])
		if m < 0 || l > uint64(left) {
			return 0, 0, 0, 0, false
		}
		hdr, total = n+m, int64(n+m)+int64(l)
	default:
		return 0, 0, 0, 0, false
	}
	if total > left {
		return 0, 0, 0, 0, false
	}
	return num, typ, hdr, total, true
}

// fill reads the next n bytes of input into a new buffer, 8-byte aligned
// when aligned is set. n never exceeds what the enclosing messages have
// left, so it is bounded by size.
func (s *streamDecoder) fill(n int64, aligned bool) ([]byte, error) {
	var buf []byte
	if aligned {
		buf = alignedBytes(int(n))
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(s.in, buf); err != nil {
		return nil, s.shortInput(err)
	}
	s.read += n
	return buf, nil
}

func (s *streamDecoder) skip(n int) error {
	if _, err := s.in.Discard(n); err != nil {
		return s.shortInput(err)
	}
	s.read += int64(n)
	return nil
}

func (s *streamDecoder) shortInput(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("onnx: the input ended after %d of the %d bytes it was to hold", s.read, s.size)
	}
	return fmt.Errorf("onnx: reading the model: %w", err)
}

// model decodes the top-level message: each field in its own buffer, the
// main graph field by field.
func (s *streamDecoder) model(m *Model) error {
	r := newReader(&s.decoder, nil, modelFields, &m.wire, &m.Unknown)
	for left := s.size; left > 0; {
		num, typ, hdr, total, ok := s.extent(left)
		if ok && num == 7 && typ == protowire.BytesType {
			r.num, r.typ = 7, typ
			if r.singular(protowire.BytesType) { // as messageField: the first graph wins
				if err := s.skip(hdr); err != nil {
					return err
				}
				left -= total
				m.Graph = new(Graph)
				if err := s.graph(total-int64(hdr), m.Graph); err != nil {
					return within(err, "graph")
				}
				r.ws.addKnown(7, 1, false)
				continue
			}
		}
		n := left
		if ok {
			n = total
		}
		b, err := s.fill(n, false)
		if err != nil {
			return err
		}
		left -= n
		r.b = b
		if err := r.forEach(func() error { return s.modelField(r, m) }); err != nil {
			return err
		}
	}
	return nil
}

// graph decodes the main graph of size bytes, field by field, passing each
// initializer to take.
func (s *streamDecoder) graph(size int64, g *Graph) error {
	s.graphDepth++ // the main graph is at depth 0: nothing to check
	defer func() { s.graphDepth-- }()
	r := newReader(&s.decoder, nil, graphFields, &g.wire, &g.Unknown)
	for left := size; left > 0; {
		num, typ, hdr, total, ok := s.extent(left)
		n := left
		if ok {
			n = total
		}
		// A well-formed initializer field always becomes one Tensor.
		initializer := ok && num == 5 && typ == protowire.BytesType && s.take != nil
		before := len(g.Initializer)
		var field, pay, end int64
		split := false
		if initializer {
			field, pay, end, split = s.rawSpan(hdr, total)
		}
		if split {
			if err := s.splitInitializer(r, g, hdr, field, pay, end, total); err != nil {
				return err
			}
			left -= n
		} else {
			b, err := s.fill(n, initializer)
			if err != nil {
				return err
			}
			left -= n
			r.b = b
			if err := r.forEach(func() error { return s.graphField(r, g) }); err != nil {
				return err
			}
		}
		if !initializer || len(g.Initializer) != before+1 {
			continue
		}
		t := g.Initializer[before]
		detach(t)
		alignRawData(t)
		taken, err := s.take(t)
		if err != nil {
			return err
		}
		if taken {
			dropValues(t)
		}
	}
	return nil
}

// minSplit is the smallest raw_data that splitInitializer reads into a
// buffer of its own: below it, the header bytes sharing its buffer
// cost nothing.
const minSplit = 4096

// rawSpan finds the first length-delimited raw_data field of the
// initializer field at the head of the input (total bytes, the first hdr
// of them its tag and length): where it starts, and where its payload
// starts and ends, as offsets in the initializer field. ok is false when
// there is none of at least minSplit bytes, or when its header is not
// within what the read buffer holds (huge names or dims) or anything
// before it is malformed: the caller then reads the field whole.
func (s *streamDecoder) rawSpan(hdr int, total int64) (field, pay, end int64, ok bool) {
	b, _ := s.in.Peek(int(min(total, int64(s.in.Size()))))
	for pos := hdr; pos < len(b); {
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return 0, 0, 0, false
		}
		if num == 9 && typ == protowire.BytesType {
			l, m := protowire.ConsumeVarint(b[pos+n:])
			p := int64(pos + n + m)
			if m < 0 || l > uint64(total-p) || l < minSplit {
				return 0, 0, 0, false
			}
			return int64(pos), p, p + int64(l), true
		}
		m := protowire.ConsumeFieldValue(num, typ, b[pos+n:])
		if m < 0 {
			return 0, 0, 0, false
		}
		pos += n + m
	}
	return 0, 0, 0, false
}

// splitInitializer decodes the initializer field at the head of the input
// as the graph's reader r would (graphField, case 5), but reads the
// payload of its raw_data (field to end, from rawSpan) into an aligned
// buffer of exactly its size, apart from the bytes around it: a weight of
// whole pages then takes whole pages, not one more for its header.
func (s *streamDecoder) splitInitializer(r *fieldReader, g *Graph, hdr int, field, pay, end, total int64) error {
	head, err := s.fill(pay, false)
	if err != nil {
		return err
	}
	raw, err := s.fill(end-pay, true)
	if err != nil {
		return err
	}
	tail, err := s.fill(total-end, false)
	if err != nil {
		return err
	}
	index := len(g.Initializer)
	t := new(Tensor)
	g.Initializer = append(g.Initializer, t)
	tr := newReader(&s.decoder, head[hdr:field], tensorFields, &t.wire, &t.Unknown)
	err = tr.forEach(func() error { return s.tensorField(tr, t) })
	if err == nil {
		// What tensorField does with this field (bytesField). singular
		// holds: rawSpan found the first raw_data of wire type bytes, and
		// only such a field marks raw_data seen.
		tr.num, tr.typ = 9, protowire.BytesType
		tr.singular(protowire.BytesType)
		t.RawData = raw[:len(raw):len(raw)]
		tr.present(false) // rawSpan's payloads are at least minSplit bytes
		tr.b = tail
		err = tr.forEach(func() error { return s.tensorField(tr, t) })
	}
	if err != nil {
		return within(err, fmt.Sprintf("initializer[%d]", index))
	}
	r.ws.addKnown(5, 1, false)
	return nil
}

// dropValues clears the fields that hold a tensor's values.
func dropValues(t *Tensor) {
	t.RawData, t.FloatData, t.Int32Data, t.StringData = nil, nil, nil, nil
	t.Int64Data, t.DoubleData, t.Uint64Data = nil, nil, nil
}

// detach copies every byte slice of t but RawData that may alias the
// decoder's input (the fields Decode aliases: see Decode), so RawData is
// the only user of its buffer.
func detach(t *Tensor) {
	t.Segment = clone(t.Segment)
	for i := range t.StringData {
		t.StringData[i] = clone(t.StringData[i])
	}
	detachUnknown(t.Unknown)
	for _, list := range [][]*StringEntry{t.ExternalData, t.MetadataProps} {
		for _, e := range list {
			if e != nil {
				detachUnknown(e.Unknown)
			}
		}
	}
}

func detachUnknown(fields []RawField) {
	for i := range fields {
		fields[i].Bytes = clone(fields[i].Bytes)
	}
}

// clone copies b, keeping nil and empty apart (presence is part of the
// wire layout only through wireState, but equality tests see the
// difference).
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
