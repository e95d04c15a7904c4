package tensor

import (
	"fmt"
	"math"
)

// MaxBytes bounds one tensor whose size comes from input (a model's
// declared input shape, a .npy header, a data set): 2 GiB, the memory
// budget Pare promises to stay within per tensor. Sizes are checked
// against it before anything is allocated.
const MaxBytes int64 = 2 << 30

// ElementSize returns the bytes one element of dt occupies in memory, or 0
// for a type the executor does not compute on.
func (d DType) ElementSize() int {
	switch d {
	case Float32, Int32:
		return 4
	case Float64, Int64:
		return 8
	case Int8, Uint8, Int4, Uint4, Bool:
		return 1
	}
	return 0
}

// UnsupportedTypeError reports an element type the executor does not
// compute on, by its ONNX name.
type UnsupportedTypeError struct {
	DType DType
	What  string // what has the type, such as `input "x"`
}

func (e *UnsupportedTypeError) Error() string {
	what := e.What
	if what == "" {
		what = "a tensor"
	}
	return fmt.Sprintf("%s has element type %s, which Pare does not compute on (supported: float32, float64, int8, uint8, int32, int64, bool, int4, uint4)", what, e.DType)
}

// SizeError reports a shape that is invalid or needs more memory than the
// limit, before anything is allocated.
type SizeError struct {
	Shape []int
	DType DType
	Bytes int64 // 0 when the count overflowed
	Msg   string
}

func (e *SizeError) Error() string { return e.Msg }

// CheckSize returns the element count of shape for dt after checking that
// no dimension is negative, the product does not overflow, and the tensor
// fits in limit bytes (MaxBytes when limit <= 0). It is the one check every
// allocation sized from input goes through.
func CheckSize(dt DType, shape []int, limit int64) (int, error) {
	if limit <= 0 {
		limit = MaxBytes
	}
	size := int64(dt.ElementSize())
	if size == 0 {
		return 0, &UnsupportedTypeError{DType: dt}
	}
	n := int64(1)
	overflow := false
	for i, d := range shape {
		if d < 0 {
			return 0, &SizeError{Shape: shape, DType: dt, Msg: fmt.Sprintf("shape %v has a negative dimension (%d at index %d)", shape, d, i)}
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			overflow = true
			n = math.MaxInt64
			continue
		}
		if !overflow {
			n *= int64(d)
		}
	}
	for _, d := range shape {
		if d == 0 {
			return 0, nil
		}
	}
	if overflow || n > math.MaxInt64/size {
		return 0, &SizeError{Shape: shape, DType: dt, Msg: fmt.Sprintf("a %s tensor of shape %v is too large: its element count overflows", dt, shape)}
	}
	if bytes := n * size; bytes > limit {
		return 0, &SizeError{Shape: shape, DType: dt, Bytes: bytes, Msg: fmt.Sprintf("a %s tensor of shape %v needs %s of memory, more than the %s limit", dt, shape, FormatBytes(bytes), FormatBytes(limit))}
	}
	return int(n), nil
}

// NewChecked is New for a shape that comes from input: it returns an error
// instead of panicking or exhausting memory (CheckSize with MaxBytes).
func NewChecked(dt DType, shape []int) (*Tensor, error) {
	if _, err := CheckSize(dt, shape, 0); err != nil {
		return nil, err
	}
	return New(dt, shape), nil
}

// FormatBytes shows a byte count in binary units ("10.0 GiB").
func FormatBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
