package dataset

import (
	"fmt"
	"sync"
)

// Format names reported in Set.Format.
const (
	FormatIDX         = "idx"
	FormatCIFAR10     = "cifar10"
	FormatImageFolder = "imagefolder"
	FormatDigitsCSV   = "digits-csv"
)

// Shape is the size of one image: channels (1 gray or 3 RGB), height, width.
type Shape struct {
	C, H, W int
}

// Size is the number of uint8 pixels in an image of this shape.
func (s Shape) Size() int { return s.C * s.H * s.W }

func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s.C, s.H, s.W) }

// Image is one image's pixels in planar order:
// Pix[(c*H+y)*W+x] for channel c, row y, column x. Pix may share memory with
// the Set: read it, do not modify it.
type Image struct {
	Shape
	Pix []uint8
}

// Set is a labelled image set. Labels[i] is the class of image i, an index
// into Classes.
type Set struct {
	// Format is one of the Format* constants.
	Format string
	// SplitName is "train" or "test" when the format distinguishes them, else "".
	SplitName string
	// Source names what was opened (the path inside the fs.FS).
	Source string
	// Notes are things a user should know about how the set was read, for
	// example which split was chosen when both were present.
	Notes []string
	// Labels holds one class index per image.
	Labels []int
	// Classes names the classes; len(Classes) is the number of classes.
	Classes []string
	// PixelMax is the largest value a pixel can take in this format: 255
	// for images, 16 for the scikit-learn digits.
	PixelMax int

	images imageSource
}

// imageSource gives the pixels of image i. Implementations must be safe
// for concurrent use.
type imageSource interface {
	shape(i int) Shape
	image(i int) (Image, error)
}

// N is the number of images.
func (s *Set) N() int { return len(s.Labels) }

// Image returns image i's pixels (decoding it first if the format is lazy).
func (s *Set) Image(i int) (Image, error) {
	if i < 0 || i >= s.N() {
		return Image{}, fmt.Errorf("dataset: image index %d out of range [0,%d)", i, s.N())
	}
	return s.images.image(i)
}

// ImageShape is image i's native size, known without decoding it.
func (s *Set) ImageShape(i int) Shape { return s.images.shape(i) }

// Shape is the native size shared by every image, and false when the
// images differ in size or channel count (an image folder may).
func (s *Set) Shape() (Shape, bool) {
	if u, ok := s.images.(*packedImages); ok {
		return u.shapeOf, true
	}
	if s.N() == 0 {
		return Shape{}, false
	}
	first := s.images.shape(0)
	for i := 1; i < s.N(); i++ {
		if s.images.shape(i) != first {
			return Shape{}, false
		}
	}
	return first, true
}

// ClassCounts is the number of images of each class.
func (s *Set) ClassCounts() []int {
	counts := make([]int, len(s.Classes))
	for _, l := range s.Labels {
		counts[l]++
	}
	return counts
}

// packedImages holds images of one shape back to back in one buffer, image
// i at data[offset+i*stride:][:size]. A stride larger than the image lets
// CIFAR records keep their label byte in place instead of being copied.
type packedImages struct {
	data    []uint8
	offset  int
	stride  int
	shapeOf Shape
}

func (p *packedImages) shape(int) Shape { return p.shapeOf }

func (p *packedImages) image(i int) (Image, error) {
	start := p.offset + i*p.stride
	size := p.shapeOf.Size()
	return Image{Shape: p.shapeOf, Pix: p.data[start : start+size : start+size]}, nil
}

// lazyImages decodes images on first use and keeps the result; decoding
// was paid for within the memory budget when the set was opened.
type lazyImages struct {
	shapes []Shape
	decode func(i int) (Image, error)

	mu    sync.Mutex
	cache [][]uint8
}

func (l *lazyImages) shape(i int) Shape { return l.shapes[i] }

func (l *lazyImages) image(i int) (Image, error) {
	l.mu.Lock()
	pix := l.cache[i]
	l.mu.Unlock()
	if pix != nil {
		return Image{Shape: l.shapes[i], Pix: pix}, nil
	}
	img, err := l.decode(i)
	if err != nil {
		return Image{}, err
	}
	l.mu.Lock()
	l.cache[i] = img.Pix
	l.mu.Unlock()
	return img, nil
}
