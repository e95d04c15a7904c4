package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// Type-agnostic data movement shared by the layout ops (Transpose, Slice,
// Expand, Tile, Concat, Split, Gather).

// stridedCopy fills dst (whose shape is shape) with src elements: the
// element at multi-index i comes from src offset base + sum(i[d]*strides[d]).
// Strides may be zero (broadcast) or negative (reversed slices).
func stridedCopy(dst, src *tensor.Tensor, shape, strides []int, base int) {
	if tensor.NumElements(shape) == 0 {
		return
	}
	switch src.DType {
	case tensor.Float32:
		stridedCopyT(dst.F32, src.F32, shape, strides, base)
	case tensor.Float64:
		stridedCopyT(dst.F64, src.F64, shape, strides, base)
	case tensor.Int64:
		stridedCopyT(dst.I64, src.I64, shape, strides, base)
	case tensor.Int32:
		stridedCopyT(dst.I32, src.I32, shape, strides, base)
	case tensor.Int8, tensor.Int4:
		stridedCopyT(dst.I8, src.I8, shape, strides, base)
	case tensor.Uint8, tensor.Uint4:
		stridedCopyT(dst.U8, src.U8, shape, strides, base)
	case tensor.Bool:
		stridedCopyT(dst.Bool, src.Bool, shape, strides, base)
	}
}

func stridedCopyT[T elem](dst, src []T, shape, strides []int, base int) {
	outStrides := tensor.Strides(shape)
	p := mergePlan(shape, [][]int{outStrides, strides})
	p.rows(func(_ int, offs []int, n int, inner []int) {
		o, s := offs[0], base+offs[1]
		so, ss := inner[0], inner[1]
		if so == 1 && ss == 1 {
			copy(dst[o:o+n], src[s:s+n])
			return
		}
		for j := 0; j < n; j++ {
			dst[o+j*so] = src[s+j*ss]
		}
	})
}

// copyBlock copies n elements from src[sOff:] to dst[dOff:]; both tensors
// have the same dtype.
func copyBlock(dst *tensor.Tensor, dOff int, src *tensor.Tensor, sOff, n int) {
	switch src.DType {
	case tensor.Float32:
		copy(dst.F32[dOff:dOff+n], src.F32[sOff:sOff+n])
	case tensor.Float64:
		copy(dst.F64[dOff:dOff+n], src.F64[sOff:sOff+n])
	case tensor.Int64:
		copy(dst.I64[dOff:dOff+n], src.I64[sOff:sOff+n])
	case tensor.Int32:
		copy(dst.I32[dOff:dOff+n], src.I32[sOff:sOff+n])
	case tensor.Int8, tensor.Int4:
		copy(dst.I8[dOff:dOff+n], src.I8[sOff:sOff+n])
	case tensor.Uint8, tensor.Uint4:
		copy(dst.U8[dOff:dOff+n], src.U8[sOff:sOff+n])
	case tensor.Bool:
		copy(dst.Bool[dOff:dOff+n], src.Bool[sOff:sOff+n])
	}
}

// expandTo broadcasts src to shape (numpy rules, src may have lower rank).
func expandTo(c *Context, src *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	out, err := alloc(c, src.DType, shape)
	if err != nil {
		return nil, err
	}
	if len(src.Shape) > len(shape) {
		return nil, fmt.Errorf("cannot broadcast shape %v to %v", src.Shape, shape)
	}
	strides := make([]int, len(shape))
	st := tensor.Strides(src.Shape)
	off := len(shape) - len(src.Shape)
	for i := range src.Shape {
		if src.Shape[i] != 1 {
			if src.Shape[i] != shape[off+i] {
				return nil, fmt.Errorf("cannot broadcast shape %v to %v", src.Shape, shape)
			}
			strides[off+i] = st[i]
		}
	}
	stridedCopy(out, src, shape, strides, 0)
	return out, nil
}
