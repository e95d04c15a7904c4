package dataset

import (
	"fmt"
	"math"
)

// Channel orders and layouts accepted by Preprocess.
const (
	OrderRGB   = "RGB"
	OrderBGR   = "BGR"
	LayoutNCHW = "NCHW"
	LayoutNHWC = "NHWC"
)

// Preprocess states how images become a model's float32 input. Each value
// v in 0..PixelMax becomes (v*Scale - Mean[c]) / Std[c].
type Preprocess struct {
	// Height, Width and Channels (1 or 3) of the model's input. Zero means
	// the images' own, which must then be the same for every image.
	Height, Width, Channels int
	// ChannelOrder is "RGB" (default when empty) or "BGR" (colour planes
	// swapped, as Caffe-era models expect).
	ChannelOrder string
	// Layout is "NCHW" (default when empty) or "NHWC".
	Layout string
	// Scale multiplies raw pixel values: 1 keeps 0..255, 1/255 gives 0..1.
	// It must be set; zero is refused rather than making every input 0.
	Scale float32
	// Mean and Std apply after Scale, per output channel in ChannelOrder:
	// empty (none), one value for all channels, or one per channel.
	Mean, Std []float32
}

// DefaultPreprocess reads the input size from a model's input shape and
// keeps raw 0..255 values (what mnist-8 and resnet8 expect). Shapes are
// [N,C,H,W] by default; [N,H,W,C] when the last dimension is 1 or 3 and the
// second is not. [C,H,W] without the batch dimension works the same way,
// and a flat [N,F] input (a multilayer perceptron) takes F = H*W gray
// pixels, or 3*H*W colour ones, when F is such a square. Dynamic (zero or
// negative) dimensions become 0: the images' own size.
func DefaultPreprocess(inputShape []int) Preprocess {
	p := Preprocess{ChannelOrder: OrderRGB, Layout: LayoutNCHW, Scale: 1}
	known := func(d int) int { return max(d, 0) }
	isChannels := func(d int) bool { return d == 1 || d == 3 }
	dims := inputShape
	if len(dims) == 4 {
		dims = dims[1:]
	}
	switch len(dims) {
	case 3:
		if isChannels(dims[2]) && !isChannels(dims[0]) {
			p.Layout = LayoutNHWC
			p.Height, p.Width, p.Channels = known(dims[0]), known(dims[1]), dims[2]
		} else {
			p.Channels, p.Height, p.Width = known(dims[0]), known(dims[1]), known(dims[2])
			if !isChannels(p.Channels) {
				p.Channels = 0
			}
		}
	case 2:
		features := dims[1]
		if features > 0 {
			for _, c := range []int{1, 3} {
				side := int(math.Sqrt(float64(features / c)))
				if features%c == 0 && side*side*c == features {
					p.Channels, p.Height, p.Width = c, side, side
					break
				}
			}
		}
	}
	return p
}

// resolvedPreprocess is a Preprocess checked against a set, with defaults
// filled in and the normalisation folded into one multiply-add.
type resolvedPreprocess struct {
	shape    Shape
	nhwc     bool
	bgr      bool
	mul, add []float32 // out = v*mul[c] + add[c]
}

func (p Preprocess) resolve(s *Set) (resolvedPreprocess, error) {
	r := resolvedPreprocess{shape: Shape{C: p.Channels, H: p.Height, W: p.Width}}
	if r.shape.C == 0 || r.shape.H == 0 || r.shape.W == 0 {
		native, uniform := s.Shape()
		if !uniform {
			return r, fmt.Errorf("dataset: the images differ in size or channels, so the preprocessing must state Height, Width and Channels (got %dx%dx%d)", p.Channels, p.Height, p.Width)
		}
		if r.shape.C == 0 {
			r.shape.C = native.C
		}
		if r.shape.H == 0 {
			r.shape.H = native.H
		}
		if r.shape.W == 0 {
			r.shape.W = native.W
		}
	}
	if r.shape.C != 1 && r.shape.C != 3 {
		return r, fmt.Errorf("dataset: preprocessing asks for %d channels: only 1 (gray) and 3 (colour) are supported", r.shape.C)
	}
	if r.shape.H < 0 || r.shape.W < 0 || r.shape.H > maxImageSide || r.shape.W > maxImageSide {
		return r, fmt.Errorf("dataset: preprocessing size %dx%d: each side must be 1..%d", r.shape.H, r.shape.W, maxImageSide)
	}
	switch p.Layout {
	case "", LayoutNCHW:
	case LayoutNHWC:
		r.nhwc = true
	default:
		return r, fmt.Errorf("dataset: unknown layout %q: use %q or %q", p.Layout, LayoutNCHW, LayoutNHWC)
	}
	switch p.ChannelOrder {
	case "", OrderRGB:
	case OrderBGR:
		r.bgr = r.shape.C == 3
	default:
		return r, fmt.Errorf("dataset: unknown channel order %q: use %q or %q", p.ChannelOrder, OrderRGB, OrderBGR)
	}
	if p.Scale == 0 || math.IsNaN(float64(p.Scale)) || math.IsInf(float64(p.Scale), 0) {
		return r, fmt.Errorf("dataset: preprocessing scale is %v: set 1 to keep raw 0..%d values or 1/%d for 0..1", p.Scale, s.PixelMax, s.PixelMax)
	}
	mean, err := perChannel("mean", p.Mean, r.shape.C, 0)
	if err != nil {
		return r, err
	}
	std, err := perChannel("std", p.Std, r.shape.C, 1)
	if err != nil {
		return r, err
	}
	r.mul = make([]float32, r.shape.C)
	r.add = make([]float32, r.shape.C)
	for c := range r.mul {
		if std[c] == 0 || math.IsNaN(float64(std[c])) {
			return r, fmt.Errorf("dataset: preprocessing std[%d] is %v: it divides, so it must be non-zero", c, std[c])
		}
		r.mul[c] = p.Scale / std[c]
		r.add[c] = -mean[c] / std[c]
	}
	return r, nil
}

// perChannel expands an empty, single or per-channel list.
func perChannel(what string, values []float32, channels int, fill float32) ([]float32, error) {
	out := make([]float32, channels)
	switch len(values) {
	case 0:
		for c := range out {
			out[c] = fill
		}
	case 1:
		for c := range out {
			out[c] = values[0]
		}
	case channels:
		copy(out, values)
	default:
		return nil, fmt.Errorf("dataset: preprocessing %s has %d values: give one, or one per channel (%d)", what, len(values), channels)
	}
	return out, nil
}
