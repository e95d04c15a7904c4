package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/pare-ml/pare/core/onnx"
)

// FromONNXInPlace is FromONNX for a caller that gives up t's raw_data: a
// float32 tensor whose raw_data starts at a 4-byte aligned address is
// returned without a copy on a little-endian machine, its F32 the same
// memory as t.RawData, which the caller must then neither use nor hand on.
// onnx.DecodeReader passes initializers to its TakeFunc so aligned; the
// weights then cost their bytes once instead of twice while loading.
// Every other tensor is converted (copied) as FromONNX converts it, with
// the same checks.
func FromONNXInPlace(t *onnx.Tensor) (*Tensor, error) {
	return fromONNXAliased(t)
}

// FromONNXView is FromONNX for a reader that only reads the result while
// t is alive and unchanged (shape inference's view of small constants): a
// float32 tensor whose raw_data is 4-byte aligned, as onnx.DecodeReader
// leaves every initializer, shares t.RawData instead of copying it, so
// neither may be modified while the other is in use. Every other tensor
// is copied as FromONNX copies it, with the same checks.
func FromONNXView(t *onnx.Tensor) (*Tensor, error) {
	return fromONNXAliased(t)
}

// fromONNXAliased converts t, sharing its raw_data where a float32 tensor
// can be read from it in place.
func fromONNXAliased(t *onnx.Tensor) (*Tensor, error) {
	if t == nil || t.DataType != onnx.Float || len(t.RawData) == 0 || !littleEndian ||
		uintptr(unsafe.Pointer(unsafe.SliceData(t.RawData)))%4 != 0 {
		return FromONNX(t)
	}
	n, err := elementCount(t)
	if err != nil {
		return nil, err
	}
	raw, err := onnxData{t: t, n: n}.source(4, len(t.FloatData))
	if err != nil || raw == nil {
		return FromONNX(t) // reports the mismatch, or the typed field's values
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		shape[i] = int(d)
	}
	f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(raw))), n)
	return &Tensor{DType: Float32, Shape: shape, F32: f}, nil
}

// littleEndian is set on machines that store a float32 as raw_data does.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// FromONNX decodes the values of an ONNX TensorProto, from raw_data
// (little endian) or from the typed field the ONNX specification assigns
// to its data type. The element types map as follows:
//
//	FLOAT, FLOAT16, BFLOAT16            -> Float32 (half types widened exactly)
//	DOUBLE                              -> Float64
//	INT8, UINT8, INT32, INT64, BOOL     -> the same type
//	INT16, UINT16, UINT32, UINT64       -> Int64 (widened; a UINT64 value above
//	                                       MaxInt64 is an error)
//	INT4, UINT4                         -> Int4 / Uint4, one value per element
//	                                       in I8 / U8 (two per byte in raw_data,
//	                                       low nibble first; int32_data holds
//	                                       one packed byte per entry)
//
// Strings, complex numbers and the float8/float4 types are refused with an
// error naming the type. The number of values must match the dims exactly;
// the tensor's data is copied, never aliased.
func FromONNX(t *onnx.Tensor) (*Tensor, error) {
	if t == nil {
		return nil, fmt.Errorf("tensor: FromONNX of a nil tensor")
	}
	if t.DataLocation == onnx.LocationExternal && len(t.RawData) == 0 {
		return nil, fmt.Errorf("tensor %q: its values are in an external file; load the model with onnx.ReadModelFile or onnx.ResolveExternalData first", t.Name)
	}
	n, err := elementCount(t)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		shape[i] = int(d)
	}
	d := onnxData{t: t, n: n}

	switch t.DataType {
	case onnx.Float:
		raw, err := d.source(4, len(t.FloatData))
		if err != nil {
			return nil, err
		}
		out := &Tensor{DType: Float32, Shape: shape, F32: make([]float32, n)}
		if raw == nil {
			copy(out.F32, t.FloatData)
		} else {
			for i := range out.F32 {
				out.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		return out, nil
	case onnx.Float16, onnx.BFloat16:
		raw, err := d.source(2, len(t.Int32Data))
		if err != nil {
			return nil, err
		}
		widen := Float16ToFloat32
		if t.DataType == onnx.BFloat16 {
			widen = BFloat16ToFloat32
		}
		out := &Tensor{DType: Float32, Shape: shape, F32: make([]float32, n)}
		for i := range out.F32 {
			if raw == nil {
				out.F32[i] = widen(uint16(t.Int32Data[i]))
			} else {
				out.F32[i] = widen(binary.LittleEndian.Uint16(raw[2*i:]))
			}
		}
		return out, nil
	case onnx.Double:
		raw, err := d.source(8, len(t.DoubleData))
		if err != nil {
			return nil, err
		}
		out := &Tensor{DType: Float64, Shape: shape, F64: make([]float64, n)}
		if raw == nil {
			copy(out.F64, t.DoubleData)
		} else {
			for i := range out.F64 {
				out.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		return out, nil
	case onnx.Int8, onnx.Uint8, onnx.Bool:
		raw, err := d.source(1, len(t.Int32Data))
		if err != nil {
			return nil, err
		}
		out := New(DType(t.DataType), shape)
		for i := range n {
			var v byte
			if raw == nil {
				v = byte(t.Int32Data[i])
			} else {
				v = raw[i]
			}
			switch t.DataType {
			case onnx.Int8:
				out.I8[i] = int8(v)
			case onnx.Uint8:
				out.U8[i] = v
			default:
				out.Bool[i] = v != 0
			}
		}
		return out, nil
	case onnx.Int32:
		raw, err := d.source(4, len(t.Int32Data))
		if err != nil {
			return nil, err
		}
		out := &Tensor{DType: Int32, Shape: shape, I32: make([]int32, n)}
		if raw == nil {
			copy(out.I32, t.Int32Data)
		} else {
			for i := range out.I32 {
				out.I32[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		return out, nil
	case onnx.Int64:
		raw, err := d.source(8, len(t.Int64Data))
		if err != nil {
			return nil, err
		}
		out := &Tensor{DType: Int64, Shape: shape, I64: make([]int64, n)}
		if raw == nil {
			copy(out.I64, t.Int64Data)
		} else {
			for i := range out.I64 {
				out.I64[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		return out, nil
	case onnx.Int16, onnx.Uint16:
		raw, err := d.source(2, len(t.Int32Data))
		if err != nil {
			return nil, err
		}
		out := &Tensor{DType: Int64, Shape: shape, I64: make([]int64, n)}
		for i := range out.I64 {
			var bits uint16
			if raw == nil {
				bits = uint16(t.Int32Data[i])
			} else {
				bits = binary.LittleEndian.Uint16(raw[2*i:])
			}
			if t.DataType == onnx.Int16 {
				out.I64[i] = int64(int16(bits))
			} else {
				out.I64[i] = int64(bits)
			}
		}
		return out, nil
	case onnx.Uint32, onnx.Uint64:
		size := 4
		if t.DataType == onnx.Uint64 {
			size = 8
		}
		raw, err := d.source(size, len(t.Uint64Data))
		if err != nil {
			return nil, err
		}
		out := &Tensor{DType: Int64, Shape: shape, I64: make([]int64, n)}
		for i := range out.I64 {
			var v uint64
			switch {
			case raw == nil:
				v = t.Uint64Data[i]
				if size == 4 {
					v = uint64(uint32(v))
				}
			case size == 4:
				v = uint64(binary.LittleEndian.Uint32(raw[4*i:]))
			default:
				v = binary.LittleEndian.Uint64(raw[8*i:])
			}
			if v > math.MaxInt64 {
				return nil, fmt.Errorf("tensor %q: UINT64 value %d at index %d does not fit the int64 this program computes in", t.Name, v, i)
			}
			out.I64[i] = int64(v)
		}
		return out, nil
	case onnx.Int4, onnx.Uint4:
		return fromONNX4(d, shape)
	case onnx.String:
		return nil, fmt.Errorf("tensor %q: STRING tensors are not supported (only numeric and bool tensors are)", t.Name)
	}
	return nil, fmt.Errorf("tensor %q: data type %v is not supported; supported are float, double, float16, bfloat16, (u)int4/8/16/32/64 and bool", t.Name, t.DataType)
}

// onnxData picks and checks the value source of a tensor.
type onnxData struct {
	t *onnx.Tensor
	n int
}

// source returns raw_data when the values are there (nil when they are in
// the typed field of typedLen entries), after checking the value count.
func (d onnxData) source(elemBytes, typedLen int) ([]byte, error) {
	t := d.t
	if len(t.RawData) > 0 || typedLen == 0 {
		if len(t.RawData)%elemBytes != 0 || len(t.RawData)/elemBytes != d.n {
			return nil, fmt.Errorf("tensor %q: raw_data has %d bytes but dims %v of %v need %d×%d", t.Name, len(t.RawData), t.Dims, t.DataType, d.n, elemBytes)
		}
		return t.RawData, nil
	}
	if typedLen != d.n {
		return nil, fmt.Errorf("tensor %q: holds %d values but dims %v need %d", t.Name, typedLen, t.Dims, d.n)
	}
	return nil, nil
}

func fromONNX4(d onnxData, shape []int) (*Tensor, error) {
	t, n := d.t, d.n
	packed := (n + 1) / 2
	var bytes []byte
	switch {
	case len(t.RawData) > 0 || len(t.Int32Data) == 0:
		if len(t.RawData) != packed {
			return nil, fmt.Errorf("tensor %q: raw_data has %d bytes but %d %v values packed two per byte need %d", t.Name, len(t.RawData), n, t.DataType, packed)
		}
		bytes = t.RawData
	default:
		if len(t.Int32Data) != packed {
			return nil, fmt.Errorf("tensor %q: int32_data has %d entries but %d %v values packed two per entry need %d", t.Name, len(t.Int32Data), n, t.DataType, packed)
		}
		bytes = make([]byte, packed)
		for i, v := range t.Int32Data {
			bytes[i] = byte(v)
		}
	}
	if t.DataType == onnx.Int4 {
		out := New(Int4, shape)
		for i := range out.I8 {
			nib := bytes[i/2] >> (4 * uint(i%2)) & 0xf
			out.I8[i] = int8(nib<<4) >> 4 // sign-extend the nibble
		}
		return out, nil
	}
	out := New(Uint4, shape)
	for i := range out.U8 {
		out.U8[i] = bytes[i/2] >> (4 * uint(i%2)) & 0xf
	}
	return out, nil
}

// ToONNX encodes t as an ONNX TensorProto named name, with its values in
// raw_data (little endian; Int4/Uint4 packed two per byte, low nibble
// first, after checking every value is in range). The ONNX data type is
// t.DType's number.
func ToONNX(t *Tensor, name string) (*onnx.Tensor, error) {
	n := t.Len()
	out := &onnx.Tensor{Name: name, DataType: onnx.DataType(t.DType), Dims: make([]int64, len(t.Shape))}
	for i, d := range t.Shape {
		if d < 0 {
			return nil, fmt.Errorf("tensor %q: shape %v has a negative dimension", name, t.Shape)
		}
		out.Dims[i] = int64(d)
	}
	check := func(have int) error {
		if have != n {
			return fmt.Errorf("tensor %q: shape %v needs %d values but the %v data holds %d", name, t.Shape, n, t.DType, have)
		}
		return nil
	}
	var raw []byte
	switch t.DType {
	case Float32:
		if err := check(len(t.F32)); err != nil {
			return nil, err
		}
		raw = make([]byte, 0, 4*n)
		for _, v := range t.F32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	case Float64:
		if err := check(len(t.F64)); err != nil {
			return nil, err
		}
		raw = make([]byte, 0, 8*n)
		for _, v := range t.F64 {
			raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(v))
		}
	case Int64:
		if err := check(len(t.I64)); err != nil {
			return nil, err
		}
		raw = make([]byte, 0, 8*n)
		for _, v := range t.I64 {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	case Int32:
		if err := check(len(t.I32)); err != nil {
			return nil, err
		}
		raw = make([]byte, 0, 4*n)
		for _, v := range t.I32 {
			raw = binary.LittleEndian.AppendUint32(raw, uint32(v))
		}
	case Int8:
		if err := check(len(t.I8)); err != nil {
			return nil, err
		}
		raw = make([]byte, n)
		for i, v := range t.I8 {
			raw[i] = byte(v)
		}
	case Uint8:
		if err := check(len(t.U8)); err != nil {
			return nil, err
		}
		raw = append([]byte(nil), t.U8...)
	case Bool:
		if err := check(len(t.Bool)); err != nil {
			return nil, err
		}
		raw = make([]byte, n)
		for i, v := range t.Bool {
			if v {
				raw[i] = 1
			}
		}
	case Int4, Uint4:
		nibbles := make([]byte, n)
		if t.DType == Int4 {
			if err := check(len(t.I8)); err != nil {
				return nil, err
			}
			for i, v := range t.I8 {
				if v < -8 || v > 7 {
					return nil, fmt.Errorf("tensor %q: value %d at index %d is outside int4's range [-8, 7]", name, v, i)
				}
				nibbles[i] = byte(v) & 0xf
			}
		} else {
			if err := check(len(t.U8)); err != nil {
				return nil, err
			}
			for i, v := range t.U8 {
				if v > 15 {
					return nil, fmt.Errorf("tensor %q: value %d at index %d is outside uint4's range [0, 15]", name, v, i)
				}
				nibbles[i] = v
			}
		}
		raw = make([]byte, (n+1)/2)
		for i, v := range nibbles {
			raw[i/2] |= v << (4 * uint(i%2))
		}
	default:
		return nil, fmt.Errorf("tensor %q: cannot encode dtype %v as ONNX", name, t.DType)
	}
	out.RawData = raw
	return out, nil
}

// elementCount is the number of elements t's dims describe, refused when
// it does not fit this platform's int.
func elementCount(t *onnx.Tensor) (int, error) {
	n64, err := t.NumElements()
	if err != nil {
		return 0, err
	}
	if n64 > int64(math.MaxInt) {
		return 0, fmt.Errorf("tensor %q: dims %v describe %d elements, more than this platform can address", t.Name, t.Dims, n64)
	}
	return int(n64), nil
}
