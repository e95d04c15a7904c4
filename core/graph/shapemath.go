package graph

import "fmt"

// Shape arithmetic of the ONNX operators that the shape rules here and the
// kernels in core/exec both need. Keeping one copy means that the shapes
// inferred for a model and the tensors the executor produces cannot
// disagree. All functions are pure and return errors, never panic.

// NormAxis maps an axis in -rank..rank-1 to 0..rank-1. what names the
// value in the error ("axis", "perm", ...).
func NormAxis(axis int64, rank int, what string) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("%s %d is out of range for rank %d (valid: %d..%d)", what, axis, rank, -rank, rank-1)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// NormAxes normalises a list of axes with NormAxis and rejects duplicates.
func NormAxes(axes []int64, rank int, what string) ([]int, error) {
	out := make([]int, len(axes))
	seen := make(map[int]bool, len(axes))
	for i, a := range axes {
		ax, err := NormAxis(a, rank, what)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("%s %d is listed twice in %v", what, a, axes)
		}
		seen[ax] = true
		out[i] = ax
	}
	return out, nil
}

// BroadcastShape applies multidirectional (numpy) broadcasting to shapes:
// shapes are aligned at their last dimension, and along each axis the
// sizes must be equal or 1.
func BroadcastShape(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot be broadcast together (axis %d: %d vs %d)", shapes, off+i, o, d)
			}
		}
	}
	return out, nil
}

// SliceRange resolves one axis of Slice for an axis of size dim: the index
// of the first element taken and how many are taken (stepping by step,
// which must not be 0). As the specification says, negative start and end
// count from the back; start is then clamped to [0, dim] for positive steps
// and [0, dim-1] for negative ones, end to [0, dim] and [-1, dim-1].
// Arithmetic cannot overflow for any int64 inputs.
func SliceRange(dim, start, end, step int64) (first, count int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end > start {
			// (end-start-1)/step + 1 rather than a ceiling division,
			// which would overflow for steps near MaxInt64.
			count = (end-start-1)/step + 1
		}
		return start, count
	}
	start = min(max(start, 0), dim-1)
	end = min(max(end, -1), dim-1)
	if start > end {
		// Both operands are negative here and Go division truncates,
		// so this is floor((start-end-1)/|step|) without negating step
		// (which overflows for MinInt64).
		count = (end-start+1)/step + 1
	}
	return max(start, 0), count
}

// ResolveReshape applies Reshape's rules to the requested shape: 0 copies
// the input dimension at the same position (unless allowZero), one -1 takes
// what is left, and the element count must be unchanged.
func ResolveReshape(in []int, shape []int64, allowZero bool) ([]int, error) {
	total := int64(1)
	for _, d := range in {
		total *= int64(d)
	}
	out := make([]int, len(shape))
	inferred := -1
	known := int64(1)
	for i, s := range shape {
		switch {
		case s == -1:
			if inferred >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", shape)
			}
			inferred = i
			continue
		case s == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v: 0 at position %d copies an input dimension, but the input %v has rank %d", shape, i, in, len(in))
			}
			out[i] = in[i]
		case s < 0 || s > maxDim:
			return nil, fmt.Errorf("shape %v has invalid dimension %d", shape, s)
		default:
			out[i] = int(s)
		}
		if out[i] > 0 && known > maxElements/int64(out[i]) {
			return nil, fmt.Errorf("shape %v has too many elements", shape)
		}
		known *= int64(out[i])
	}
	if inferred >= 0 {
		if known == 0 {
			if total != 0 {
				return nil, fmt.Errorf("shape %v: -1 cannot be inferred next to a zero dimension", shape)
			}
			return nil, fmt.Errorf("shape %v: -1 is ambiguous for an empty input", shape)
		}
		if total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v: %d is not divisible by %d", in, total, shape, total, known)
		}
		out[inferred] = int(total / known)
		known = total
	}
	if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, total, shape, known)
	}
	return out, nil
}

// SqueezeShape removes the listed axes, which must have size 1, from dims;
// with given false (no axes attribute or input) it removes every axis of
// size 1.
func SqueezeShape(dims []int, axes []int64, given bool) ([]int, error) {
	drop := make([]bool, len(dims))
	if given {
		ax, err := NormAxes(axes, len(dims), "axis")
		if err != nil {
			return nil, err
		}
		for _, a := range ax {
			if dims[a] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %v: its size is %d, not 1", a, dims, dims[a])
			}
			drop[a] = true
		}
	} else {
		for i, d := range dims {
			drop[i] = d == 1
		}
	}
	out := []int{}
	for i, d := range dims {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

// UnsqueezeShape inserts axes of size 1 into dims at the listed positions of
// the output (negative positions count from the back of the output).
func UnsqueezeShape(dims []int, axes []int64) ([]int, error) {
	r := len(dims) + len(axes)
	ax, err := NormAxes(axes, r, "axis")
	if err != nil {
		return nil, err
	}
	ones := make([]bool, r)
	for _, a := range ax {
		ones[a] = true
	}
	out := make([]int, r)
	j := 0
	for i := range out {
		if ones[i] {
			out[i] = 1
		} else {
			out[i] = dims[j]
			j++
		}
	}
	return out, nil
}
