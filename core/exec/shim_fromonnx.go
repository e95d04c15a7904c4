package exec

// TEMPORARY: stands in for tensor.FromONNX until it lands in core/tensor.

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

func fromONNX(p *onnx.Tensor) (*tensor.Tensor, error) {
	shape := make([]int, len(p.Dims))
	for i, d := range p.Dims {
		if d < 0 || d > maxElements {
			return nil, fmt.Errorf("bad dim %d", d)
		}
		shape[i] = int(d)
	}
	if _, err := checkedSize(shape); err != nil {
		return nil, err
	}
	dt := tensor.DType(p.DataType)
	switch dt {
	case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8, tensor.Uint8, tensor.Bool, tensor.Int4, tensor.Uint4:
	default:
		return nil, fmt.Errorf("unsupported data type %d", p.DataType)
	}
	if p.DataLocation == onnx.LocationExternal {
		return nil, fmt.Errorf("external data")
	}
	t := tensor.New(dt, shape)
	n := t.Len()
	raw := p.RawData
	if len(raw) > 0 {
		size := int(elemBytes(dt))
		if dt == tensor.Int4 || dt == tensor.Uint4 {
			if len(raw) < (n+1)/2 {
				return nil, fmt.Errorf("short raw data")
			}
			for i := 0; i < n; i++ {
				b := raw[i/2]
				v := b & 0xf
				if i%2 == 1 {
					v = b >> 4
				}
				if dt == tensor.Int4 {
					t.I8[i] = int8(v<<4) >> 4
				} else {
					t.U8[i] = v
				}
			}
			return t, nil
		}
		if len(raw) != n*size {
			return nil, fmt.Errorf("raw data has %d bytes, want %d", len(raw), n*size)
		}
		for i := 0; i < n; i++ {
			b := raw[i*size:]
			switch dt {
			case tensor.Float32:
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
			case tensor.Float64:
				t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			case tensor.Int64:
				t.I64[i] = int64(binary.LittleEndian.Uint64(b))
			case tensor.Int32:
				t.I32[i] = int32(binary.LittleEndian.Uint32(b))
			case tensor.Int8:
				t.I8[i] = int8(b[0])
			case tensor.Uint8:
				t.U8[i] = b[0]
			case tensor.Bool:
				t.Bool[i] = b[0] != 0
			}
		}
		return t, nil
	}
	switch dt {
	case tensor.Float32:
		if len(p.FloatData) != n {
			return nil, fmt.Errorf("float_data has %d values, want %d", len(p.FloatData), n)
		}
		copy(t.F32, p.FloatData)
	case tensor.Float64:
		if len(p.DoubleData) != n {
			return nil, fmt.Errorf("double_data count")
		}
		copy(t.F64, p.DoubleData)
	case tensor.Int64:
		if len(p.Int64Data) != n {
			return nil, fmt.Errorf("int64_data has %d values, want %d", len(p.Int64Data), n)
		}
		copy(t.I64, p.Int64Data)
	case tensor.Int4, tensor.Uint4:
		if len(p.Int32Data) < (n+1)/2 {
			return nil, fmt.Errorf("int32_data count")
		}
		for i := 0; i < n; i++ {
			b := uint8(p.Int32Data[i/2])
			v := b & 0xf
			if i%2 == 1 {
				v = b >> 4
			}
			if dt == tensor.Int4 {
				t.I8[i] = int8(v<<4) >> 4
			} else {
				t.U8[i] = v
			}
		}
	default:
		if len(p.Int32Data) != n {
			return nil, fmt.Errorf("int32_data has %d values, want %d", len(p.Int32Data), n)
		}
		for i, v := range p.Int32Data {
			switch dt {
			case tensor.Int32:
				t.I32[i] = v
			case tensor.Int8:
				t.I8[i] = int8(v)
			case tensor.Uint8:
				t.U8[i] = uint8(v)
			case tensor.Bool:
				t.Bool[i] = v != 0
			}
		}
	}
	return t, nil
}
