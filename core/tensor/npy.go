package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// NumPy .npy files: a magic string, a version, a Python dict literal
// describing dtype, order and shape, then the array's bytes.

const npyMagic = "\x93NUMPY"

// maxNpyHeader bounds the header a reader accepts (NumPy itself refuses
// headers above 10,000 bytes by default).
const maxNpyHeader = 1 << 20

// npyType describes one supported dtype descriptor without its byte order.
type npyType struct {
	size  int
	dtype DType
	// decode converts one little-endian element at b[0:size] into out[i].
	decode func(out *Tensor, i int, b []byte) error
}

var npyTypes = map[string]npyType{
	"f2": {2, Float32, func(t *Tensor, i int, b []byte) error {
		t.F32[i] = Float16ToFloat32(binary.LittleEndian.Uint16(b))
		return nil
	}},
	"f4": {4, Float32, func(t *Tensor, i int, b []byte) error {
		t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		return nil
	}},
	"f8": {8, Float64, func(t *Tensor, i int, b []byte) error {
		t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		return nil
	}},
	"i1": {1, Int8, func(t *Tensor, i int, b []byte) error { t.I8[i] = int8(b[0]); return nil }},
	"u1": {1, Uint8, func(t *Tensor, i int, b []byte) error { t.U8[i] = b[0]; return nil }},
	"b1": {1, Bool, func(t *Tensor, i int, b []byte) error {
		if b[0] > 1 {
			return fmt.Errorf("bool element %d has byte value %d, not 0 or 1", i, b[0])
		}
		t.Bool[i] = b[0] == 1
		return nil
	}},
	"i2": {2, Int64, func(t *Tensor, i int, b []byte) error {
		t.I64[i] = int64(int16(binary.LittleEndian.Uint16(b)))
		return nil
	}},
	"u2": {2, Int64, func(t *Tensor, i int, b []byte) error {
		t.I64[i] = int64(binary.LittleEndian.Uint16(b))
		return nil
	}},
	"i4": {4, Int32, func(t *Tensor, i int, b []byte) error {
		t.I32[i] = int32(binary.LittleEndian.Uint32(b))
		return nil
	}},
	"u4": {4, Int64, func(t *Tensor, i int, b []byte) error {
		t.I64[i] = int64(binary.LittleEndian.Uint32(b))
		return nil
	}},
	"i8": {8, Int64, func(t *Tensor, i int, b []byte) error {
		t.I64[i] = int64(binary.LittleEndian.Uint64(b))
		return nil
	}},
}

// ReadNpy reads a NumPy .npy array (format versions 1.0, 2.0 and 3.0) in C
// order. Supported dtypes: float16 (widened to Float32), float32, float64,
// int8, uint8, bool, int32, int64, and int16/uint16/uint32 (widened to
// Int64), in either byte order. Fortran-order arrays, structured dtypes
// and object arrays are refused with an error saying so. A 0-d array reads
// as a scalar (empty Shape). The array must fit in MaxBytes and end the
// stream: bytes after the data are an error (a damaged or concatenated
// file).
func ReadNpy(r io.Reader) (*Tensor, error) {
	var prefix [10]byte
	if _, err := io.ReadFull(r, prefix[:8]); err != nil {
		return nil, fmt.Errorf("npy: reading the magic string: %w", noEOF(err))
	}
	if string(prefix[:6]) != npyMagic {
		return nil, errors.New("npy: not a .npy file (the magic string \\x93NUMPY is missing)")
	}
	major, minor := prefix[6], prefix[7]
	var headerLen int
	switch major {
	case 1:
		if _, err := io.ReadFull(r, prefix[8:10]); err != nil {
			return nil, fmt.Errorf("npy: reading the header length: %w", noEOF(err))
		}
		headerLen = int(binary.LittleEndian.Uint16(prefix[8:10]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("npy: reading the header length: %w", noEOF(err))
		}
		headerLen64 := binary.LittleEndian.Uint32(l[:])
		if headerLen64 > maxNpyHeader {
			return nil, fmt.Errorf("npy: header of %d bytes is larger than the %d this reader accepts", headerLen64, maxNpyHeader)
		}
		headerLen = int(headerLen64)
	default:
		return nil, fmt.Errorf("npy: format version %d.%d is not supported (1.0, 2.0 and 3.0 are)", major, minor)
	}
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("npy: reading the %d-byte header: %w", headerLen, noEOF(err))
	}
	h, err := parseNpyHeader(string(header))
	if err != nil {
		return nil, fmt.Errorf("npy: header %q: %w", strings.TrimSpace(string(header)), err)
	}

	typ, bigEndian, err := npyDescr(h.descr)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if h.fortran {
		return nil, errors.New("npy: Fortran-order (column-major) arrays are not supported; save a C-order copy with numpy.ascontiguousarray")
	}
	n := 1
	for _, d := range h.shape {
		if d != 0 && n > math.MaxInt/typ.size/d {
			return nil, fmt.Errorf("npy: shape %v is too large", h.shape)
		}
		n *= d
	}
	if _, err := CheckSize(typ.dtype, h.shape, 0); err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}

	data, err := readExactly(r, n*typ.size)
	if err != nil {
		return nil, fmt.Errorf("npy: shape %v of %s needs %d data bytes: %w", h.shape, h.descr, n*typ.size, err)
	}
	if bigEndian && typ.size > 1 {
		for i := 0; i < len(data); i += typ.size {
			e := data[i : i+typ.size]
			for a, b := 0, len(e)-1; a < b; a, b = a+1, b-1 {
				e[a], e[b] = e[b], e[a]
			}
		}
	}
	var extra [1]byte
	if k, _ := io.ReadFull(r, extra[:]); k > 0 {
		return nil, fmt.Errorf("npy: more bytes follow the %d data bytes that shape %v of %s needs: the file is damaged or not one array", n*typ.size, h.shape, h.descr)
	}
	out := New(typ.dtype, h.shape)
	for i := range n {
		if err := typ.decode(out, i, data[i*typ.size:]); err != nil {
			return nil, fmt.Errorf("npy: %w", err)
		}
	}
	return out, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readExactly reads n bytes, growing the buffer as data actually arrives so
// a header promising terabytes cannot make the reader allocate them.
func readExactly(r io.Reader, n int) ([]byte, error) {
	const chunk = 1 << 20
	if n <= chunk {
		buf := make([]byte, n)
		got, err := io.ReadFull(r, buf)
		if err != nil {
			return nil, shortRead(int64(got), err)
		}
		return buf, nil
	}
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n))
	if err != nil {
		return nil, shortRead(got, err)
	}
	return buf.Bytes(), nil
}

// shortRead tells a file that ends early from a reader that failed, so an
// I/O error is not reported as a truncated file.
func shortRead(got int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("the file ends after %d of them", got)
	}
	return fmt.Errorf("reading them failed after %d: %w", got, err)
}

// npyDescr resolves a dtype descriptor such as "<f4" or "|b1".
func npyDescr(descr string) (npyType, bool, error) {
	if len(descr) < 2 {
		return npyType{}, false, fmt.Errorf("dtype %q is not supported", descr)
	}
	order, code := descr[0], descr[1:]
	typ, ok := npyTypes[code]
	if !ok || (order != '<' && order != '>' && order != '|' && order != '=') {
		return npyType{}, false, fmt.Errorf("dtype %q is not supported; use float16/32/64, (u)int8/16/32, int64 or bool", descr)
	}
	if order == '|' && typ.size > 1 {
		return npyType{}, false, fmt.Errorf("dtype %q has no byte order", descr)
	}
	return typ, order == '>', nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNpyHeader parses the dict literal NumPy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
func parseNpyHeader(s string) (npyHeader, error) {
	p := &pyLiteral{s: s}
	var h npyHeader
	seen := map[string]bool{}
	if !p.consume('{') {
		return h, errors.New("does not start with {")
	}
	for {
		if p.consume('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if !p.consume(':') {
			return h, fmt.Errorf("expected : after key %q", key)
		}
		switch key {
		case "descr":
			if p.peek() == '[' {
				return h, errors.New("structured dtypes are not supported")
			}
			h.descr, err = p.str()
		case "fortran_order":
			h.fortran, err = p.boolean()
		case "shape":
			h.shape, err = p.tuple()
		default:
			return h, fmt.Errorf("unexpected key %q", key)
		}
		if err != nil {
			return h, fmt.Errorf("%s: %w", key, err)
		}
		seen[key] = true
		if !p.consume(',') {
			if !p.consume('}') {
				return h, fmt.Errorf("expected , or } after %s", key)
			}
			break
		}
	}
	if p.skipSpace(); p.i != len(p.s) {
		return h, errors.New("unexpected text after the closing }")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("key %q is missing", k)
		}
	}
	return h, nil
}

// pyLiteral scans the small subset of Python literal syntax .npy headers use.
type pyLiteral struct {
	s string
	i int
}

func (p *pyLiteral) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyLiteral) peek() byte {
	p.skipSpace()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyLiteral) consume(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *pyLiteral) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", errors.New("expected a quoted string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

func (p *pyLiteral) boolean() (bool, error) {
	p.skipSpace()
	for _, w := range []string{"True", "False"} {
		if strings.HasPrefix(p.s[p.i:], w) {
			p.i += len(w)
			return w == "True", nil
		}
	}
	return false, errors.New("expected True or False")
}

func (p *pyLiteral) tuple() ([]int, error) {
	if !p.consume('(') {
		return nil, errors.New("expected a tuple")
	}
	shape := []int{}
	for {
		if p.consume(')') {
			return shape, nil
		}
		p.skipSpace()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, errors.New("expected a non-negative integer dimension")
		}
		d, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, fmt.Errorf("dimension %s: %w", p.s[start:p.i], err)
		}
		if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long
			p.i++
		}
		shape = append(shape, d)
		if !p.consume(',') {
			if !p.consume(')') {
				return nil, errors.New("expected , or ) in the shape")
			}
			return shape, nil
		}
	}
}

// WriteNpy writes t as a version 1.0 .npy file, laid out exactly as
// numpy.save writes the same array. Int4 and Uint4 tensors are written as
// int8 and uint8 (NumPy has no 4-bit types).
func WriteNpy(w io.Writer, t *Tensor) error {
	var descr string
	var data []byte
	var have int // values the data slice holds
	switch t.DType {
	case Float32:
		descr, have, data = "<f4", len(t.F32), make([]byte, 0, 4*len(t.F32))
		for _, v := range t.F32 {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
	case Float64:
		descr, have, data = "<f8", len(t.F64), make([]byte, 0, 8*len(t.F64))
		for _, v := range t.F64 {
			data = binary.LittleEndian.AppendUint64(data, math.Float64bits(v))
		}
	case Int64:
		descr, have, data = "<i8", len(t.I64), make([]byte, 0, 8*len(t.I64))
		for _, v := range t.I64 {
			data = binary.LittleEndian.AppendUint64(data, uint64(v))
		}
	case Int32:
		descr, have, data = "<i4", len(t.I32), make([]byte, 0, 4*len(t.I32))
		for _, v := range t.I32 {
			data = binary.LittleEndian.AppendUint32(data, uint32(v))
		}
	case Int8, Int4:
		descr, have, data = "|i1", len(t.I8), make([]byte, len(t.I8))
		for i, v := range t.I8 {
			data[i] = byte(v)
		}
	case Uint8, Uint4:
		descr, have, data = "|u1", len(t.U8), t.U8
	case Bool:
		descr, have, data = "|b1", len(t.Bool), make([]byte, len(t.Bool))
		for i, v := range t.Bool {
			if v {
				data[i] = 1
			}
		}
	default:
		return fmt.Errorf("npy: cannot write dtype %v", t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("npy: shape %v has a negative dimension", t.Shape)
		}
	}
	if n := t.Len(); have != n {
		return fmt.Errorf("npy: shape %v needs %d values but the %v data holds %d", t.Shape, n, t.DType, have)
	}
	if len(t.Shape) > 1000 {
		return fmt.Errorf("npy: %d dimensions do not fit a version 1.0 header", len(t.Shape))
	}
	if _, err := w.Write(npyHeaderV1(descr, t.Shape)); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// npyHeaderV1 formats the header as numpy.save does: keys sorted, room left
// after it for the first dimension to grow to 21 digits, padded with
// spaces and a newline to a multiple of 64 bytes.
func npyHeaderV1(descr string, shape []int) []byte {
	var dims strings.Builder
	dims.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			dims.WriteString(", ")
		}
		dims.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		dims.WriteByte(',')
	}
	dims.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, dims.String())
	if len(shape) > 0 {
		dict += strings.Repeat(" ", max(0, 21-len(strconv.Itoa(shape[0]))))
	}
	const prefix = 10 // magic, version, uint16 length
	hlen := len(dict) + 1
	pad := 64 - (prefix+hlen)%64
	out := make([]byte, 0, prefix+hlen+pad)
	out = append(out, npyMagic...)
	out = append(out, 1, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
	out = append(out, dict...)
	out = append(out, bytes.Repeat([]byte{' '}, pad)...)
	return append(out, '\n')
}
