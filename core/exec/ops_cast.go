package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Cast and CastLike between float32, float64, int64, int32, int8, uint8 and
// bool. Float to integer truncates toward zero and saturates at the target's
// bounds (NaN becomes 0), integer narrowing wraps as in two's complement,
// anything to bool is x != 0.

func castTo(c *Context, x *tensor.Tensor, to tensor.DType) (*tensor.Tensor, error) {
	switch to {
	case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8, tensor.Uint8, tensor.Bool:
	default:
		return nil, fmt.Errorf("cast to %v is not supported", to)
	}
	switch x.DType {
	case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8, tensor.Uint8, tensor.Bool:
	default:
		return nil, fmt.Errorf("cast from %v is not supported", x.DType)
	}
	out := c.Alloc(to, x.Shape)
	n := x.Len()
	if isFloat(x.DType) {
		for i := 0; i < n; i++ {
			setFromFloat(out, i, asFloat64(x, i))
		}
		return out, nil
	}
	for i := 0; i < n; i++ {
		setFromInt(out, i, asInt64(x, i))
	}
	return out, nil
}

// saturate truncates v toward zero and clamps it to [lo, hi]; NaN gives 0.
func saturate(v, lo, hi float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Min(math.Max(math.Trunc(v), lo), hi)
}

func setFromFloat(out *tensor.Tensor, i int, v float64) {
	switch out.DType {
	case tensor.Float32:
		out.F32[i] = float32(v)
	case tensor.Float64:
		out.F64[i] = v
	case tensor.Int64:
		// 2^63 is not representable as int64; clamp just below it.
		s := saturate(v, math.MinInt64, math.MaxInt64)
		if s >= math.MaxInt64 {
			out.I64[i] = math.MaxInt64
		} else {
			out.I64[i] = int64(s)
		}
	case tensor.Int32:
		out.I32[i] = int32(saturate(v, math.MinInt32, math.MaxInt32))
	case tensor.Int8:
		out.I8[i] = int8(saturate(v, math.MinInt8, math.MaxInt8))
	case tensor.Uint8:
		out.U8[i] = uint8(saturate(v, 0, math.MaxUint8))
	case tensor.Bool:
		out.Bool[i] = v != 0
	}
}

func setFromInt(out *tensor.Tensor, i int, v int64) {
	switch out.DType {
	case tensor.Float32:
		out.F32[i] = float32(v)
	case tensor.Float64:
		out.F64[i] = float64(v)
	case tensor.Int64:
		out.I64[i] = v
	case tensor.Int32:
		out.I32[i] = int32(v)
	case tensor.Int8, tensor.Int4:
		out.I8[i] = int8(v)
	case tensor.Uint8, tensor.Uint4:
		out.U8[i] = uint8(v)
	case tensor.Bool:
		out.Bool[i] = v != 0
	}
}

func castKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	a := c.Node.Attr("to")
	if a == nil {
		return nil, fmt.Errorf("attribute 'to' is required")
	}
	to := tensor.DType(a.I)
	if c.Opset < 6 {
		// Opsets 1-5 named the type as a string.
		dt, ok := onnx.ParseDataType(string(a.S))
		if !ok {
			return nil, fmt.Errorf("unknown type name %q", a.S)
		}
		to = tensor.DType(dt)
	}
	return one(castTo(c, in[0], to))
}

func castLikeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	return one(castTo(c, in[0], in[1].DType))
}

func init() {
	Register("Cast", 1, 0, castKernel)
	Register("CastLike", 15, 0, castLikeKernel)
}
