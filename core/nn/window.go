package nn

import "fmt"

// Window is the geometry of a sliding window (convolution kernel or pool)
// over the spatial dimensions of one image: the image size In, the kernel
// size, the output size Out, strides, dilations and the padding added
// before (PadBegin) and after (PadEnd) each dimension. All slices have one
// entry per spatial dimension.
//
// Output position o of dimension d reads image positions
// o*Strides[d] - PadBegin[d] + k*Dilations[d] for k in [0, Kernel[d]);
// positions outside [0, In[d]) are padding.
type Window struct {
	In, Kernel, Out, Strides, Dilations, PadBegin, PadEnd []int
}

// Auto-padding modes of the ONNX auto_pad attribute.
const (
	AutoPadNotSet    = "NOTSET"
	AutoPadSameUpper = "SAME_UPPER"
	AutoPadSameLower = "SAME_LOWER"
	AutoPadValid     = "VALID"
)

// maxSpatialDims is the largest number of spatial dimensions the kernels
// handle: they promote 1-D and 2-D windows to 3-D with unit dimensions.
const maxSpatialDims = 3

// maxElements bounds any buffer sized from model data, so that a corrupt
// shape is an error rather than an out-of-memory crash.
const maxElements = 1 << 31

// InSize, OutSize and KernelSize are the element counts of the image, the
// output and the kernel.
func (w *Window) InSize() int     { return product(w.In) }
func (w *Window) OutSize() int    { return product(w.Out) }
func (w *Window) KernelSize() int { return product(w.Kernel) }

// windowSpec is what an operator's attributes say about its window before
// the output size is known.
type windowSpec struct {
	op                       string
	in, kernel               []int
	strides, dilations, pads []int // nil means defaults
	autoPad                  string
	ceilMode                 bool
}

// resolve validates the attributes and computes the output size and the
// padding. Pooling with ceil_mode drops a last window that would start in
// the end padding (the rule PyTorch and ONNX's reference share).
func (s windowSpec) resolve() (Window, error) {
	r := len(s.in)
	if r == 0 || r > maxSpatialDims {
		return Window{}, fmt.Errorf("%s: %d spatial dimensions, want 1 to %d", s.op, r, maxSpatialDims)
	}
	w := Window{
		In:        append([]int(nil), s.in...),
		Kernel:    append([]int(nil), s.kernel...),
		Out:       make([]int, r),
		Strides:   ones(r),
		Dilations: ones(r),
		PadBegin:  make([]int, r),
		PadEnd:    make([]int, r),
	}
	if len(s.kernel) != r {
		return Window{}, fmt.Errorf("%s: kernel_shape %v has %d dimensions, input has %d spatial dimensions %v", s.op, s.kernel, len(s.kernel), r, s.in)
	}
	if s.strides != nil {
		if len(s.strides) != r {
			return Window{}, fmt.Errorf("%s: strides %v need %d values", s.op, s.strides, r)
		}
		copy(w.Strides, s.strides)
	}
	if s.dilations != nil {
		if len(s.dilations) != r {
			return Window{}, fmt.Errorf("%s: dilations %v need %d values", s.op, s.dilations, r)
		}
		copy(w.Dilations, s.dilations)
	}
	for d := 0; d < r; d++ {
		if w.Kernel[d] < 1 || w.Strides[d] < 1 || w.Dilations[d] < 1 || w.In[d] < 0 {
			return Window{}, fmt.Errorf("%s: kernel %v, strides %v, dilations %v must be positive (input %v)", s.op, w.Kernel, w.Strides, w.Dilations, w.In)
		}
	}
	autoPad := s.autoPad
	if autoPad == "" {
		autoPad = AutoPadNotSet
	}
	switch autoPad {
	case AutoPadNotSet:
		if s.pads != nil {
			if len(s.pads) != 2*r {
				return Window{}, fmt.Errorf("%s: pads %v need %d values (begins then ends)", s.op, s.pads, 2*r)
			}
			for _, p := range s.pads {
				if p < 0 {
					return Window{}, fmt.Errorf("%s: negative pads %v", s.op, s.pads)
				}
			}
			copy(w.PadBegin, s.pads[:r])
			copy(w.PadEnd, s.pads[r:])
		}
	case AutoPadValid:
	case AutoPadSameUpper, AutoPadSameLower:
		for d := 0; d < r; d++ {
			out := (w.In[d] + w.Strides[d] - 1) / w.Strides[d]
			span := (w.Kernel[d]-1)*w.Dilations[d] + 1
			total := max(0, (out-1)*w.Strides[d]+span-w.In[d])
			if autoPad == AutoPadSameUpper {
				w.PadBegin[d], w.PadEnd[d] = total/2, total-total/2
			} else {
				w.PadBegin[d], w.PadEnd[d] = total-total/2, total/2
			}
		}
	default:
		return Window{}, fmt.Errorf("%s: unknown auto_pad %q (want NOTSET, SAME_UPPER, SAME_LOWER or VALID)", s.op, s.autoPad)
	}
	for d := 0; d < r; d++ {
		span := (w.Kernel[d]-1)*w.Dilations[d] + 1
		padded := w.In[d] + w.PadBegin[d] + w.PadEnd[d]
		if padded < span {
			return Window{}, fmt.Errorf("%s: kernel extent %d (kernel %v, dilations %v) exceeds padded input %d (input %v, pads %v %v)", s.op, span, w.Kernel, w.Dilations, padded, w.In, w.PadBegin, w.PadEnd)
		}
		if s.ceilMode && (autoPad == AutoPadNotSet || autoPad == AutoPadValid) {
			out := (padded-span+w.Strides[d]-1)/w.Strides[d] + 1
			if (out-1)*w.Strides[d] >= w.In[d]+w.PadBegin[d] {
				out--
			}
			w.Out[d] = out
		} else {
			w.Out[d] = (padded-span)/w.Strides[d] + 1
		}
	}
	return w, nil
}

// window3 is a Window promoted to exactly three spatial dimensions, in
// fixed arrays so that the kernels' hot paths do not allocate.
type window3 struct {
	In, Kernel, Out, Strides, Dilations, PadBegin, PadEnd [maxSpatialDims]int
}

// promote3 returns the window with leading unit dimensions added up to 3-D
// so that one loop nest serves 1-D, 2-D and 3-D.
func (w *Window) promote3() window3 {
	var p window3
	lead := maxSpatialDims - len(w.In)
	for i := 0; i < lead; i++ {
		p.In[i], p.Kernel[i], p.Out[i], p.Strides[i], p.Dilations[i] = 1, 1, 1, 1, 1
	}
	copy(p.In[lead:], w.In)
	copy(p.Kernel[lead:], w.Kernel)
	copy(p.Out[lead:], w.Out)
	copy(p.Strides[lead:], w.Strides)
	copy(p.Dilations[lead:], w.Dilations)
	copy(p.PadBegin[lead:], w.PadBegin)
	copy(p.PadEnd[lead:], w.PadEnd)
	return p
}

// validRange returns the kernel indices [lo, hi) whose image position for
// output o lies inside [0, in).
func validRange(o, stride, pad, dil, k, in int) (lo, hi int) {
	start := o*stride - pad
	lo = 0
	if start < 0 {
		lo = (-start + dil - 1) / dil
	}
	hi = k
	if last := start + (k-1)*dil; last >= in {
		hi = (in - start + dil - 1) / dil
		if in-start <= 0 {
			hi = 0
		}
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func ones(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func product(v []int) int {
	p := 1
	for _, x := range v {
		p *= x
	}
	return p
}

// checkedProduct multiplies dims, failing on negatives or sizes past
// maxElements.
func checkedProduct(op string, shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%s: negative dimension in shape %v", op, shape)
		}
		if d != 0 && n > maxElements/d {
			return 0, fmt.Errorf("%s: shape %v has more than %d elements", op, shape, maxElements)
		}
		n *= d
	}
	return n, nil
}
