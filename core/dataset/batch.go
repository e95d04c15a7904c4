package dataset

import "fmt"

// BT.601 luma weights, for colour images fed to a gray model.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// BatchShape is the shape of the float32 batch Batch fills for n images:
// [n,C,H,W] or [n,H,W,C].
func (s *Set) BatchShape(n int, p Preprocess) ([]int, error) {
	r, err := p.resolve(s)
	if err != nil {
		return nil, err
	}
	if r.nhwc {
		return []int{n, r.shape.H, r.shape.W, r.shape.C}, nil
	}
	return []int{n, r.shape.C, r.shape.H, r.shape.W}, nil
}

// Batch fills dst with the images at indices, preprocessed by p, in p's
// layout; dst must hold exactly len(indices)*C*H*W values. Images of another
// size are resized (bilinear, see resize.go); gray images fed to a colour
// input are replicated into three channels, colour fed to gray becomes
// BT.601 luma. Batch is safe to call from several goroutines.
func (s *Set) Batch(indices []int, p Preprocess, dst []float32) error {
	r, err := p.resolve(s)
	if err != nil {
		return err
	}
	size := r.shape.Size()
	if len(dst) != len(indices)*size {
		return fmt.Errorf("dataset: batch buffer holds %d values, want %d (%d images of %v)", len(dst), len(indices)*size, len(indices), r.shape)
	}
	var conv imageConverter
	for k, idx := range indices {
		img, err := s.Image(idx)
		if err != nil {
			return err
		}
		conv.convert(img, r, dst[k*size:(k+1)*size])
	}
	return nil
}

// imageConverter keeps scratch buffers and resampling taps between images
// of the same size.
type imageConverter struct {
	planes     []float32 // source channels after resizing
	inH, inW   int
	rows, cols axisTaps
}

func (c *imageConverter) convert(img Image, r resolvedPreprocess, out []float32) {
	H, W := r.shape.H, r.shape.W
	plane := H * W
	if c.rows.lo == nil || c.inH != img.H || c.inW != img.W || len(c.rows.lo) != H || len(c.cols.lo) != W {
		c.inH, c.inW = img.H, img.W
		c.rows, c.cols = bilinearTaps(img.H, H), bilinearTaps(img.W, W)
	}
	if cap(c.planes) < img.C*plane {
		c.planes = make([]float32, img.C*plane)
	}
	planes := c.planes[:img.C*plane]
	inPlane := img.H * img.W
	for ch := 0; ch < img.C; ch++ {
		resizePlane(img.Pix[ch*inPlane:(ch+1)*inPlane], img.H, img.W, planes[ch*plane:(ch+1)*plane], H, W, c.rows, c.cols)
	}

	// source plane of each output channel; gray fed to colour repeats
	// plane 0, colour fed to gray mixes luma into plane 0 first.
	var source [3]int
	switch {
	case img.C == r.shape.C:
		source = [3]int{0, 1, 2}
	case img.C == 1:
		source = [3]int{0, 0, 0}
	default:
		red, green, blue := planes[:plane], planes[plane:2*plane], planes[2*plane:]
		for i := range red {
			red[i] = lumaR*red[i] + lumaG*green[i] + lumaB*blue[i]
		}
		source = [3]int{0, 0, 0}
	}
	if r.bgr {
		source[0], source[2] = source[2], source[0]
	}

	C := r.shape.C
	for ch := 0; ch < C; ch++ {
		src := planes[source[ch]*plane : (source[ch]+1)*plane]
		mul, add := r.mul[ch], r.add[ch]
		if r.nhwc {
			for i, v := range src {
				out[i*C+ch] = v*mul + add
			}
		} else {
			dst := out[ch*plane : (ch+1)*plane]
			for i, v := range src {
				dst[i] = v*mul + add
			}
		}
	}
}
