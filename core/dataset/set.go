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
	FormatMemory      = "memory" // made by New
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
	switch src := s.images.(type) {
	case *packedImages:
		return src.shapeOf, true
	case *lazyImages:
		return src.common, src.uniform
	}
	return Shape{}, false
}

// New makes a set from pixels already in memory: n images of one shape
// back to back in planar (C,H,W) order, labels indexing classes. The set
// keeps pixels without copying. It serves synthetic data and tests.
func New(shape Shape, pixels []uint8, labels []int, classes []string) (*Set, error) {
	if shape.C != 1 && shape.C != 3 || shape.H <= 0 || shape.W <= 0 {
		return nil, fmt.Errorf("dataset: image shape %v: want 1 or 3 channels and a positive size", shape)
	}
	if len(pixels) != len(labels)*shape.Size() {
		return nil, fmt.Errorf("dataset: %d pixels for %d images of %v, want %d", len(pixels), len(labels), shape, len(labels)*shape.Size())
	}
	labels = append([]int(nil), labels...)
	classes, err := applyClassNames(classes, nil, labels, "the labels")
	if err != nil {
		return nil, err
	}
	return &Set{
		Format:   FormatMemory,
		Labels:   labels,
		Classes:  append([]string(nil), classes...),
		PixelMax: 255,
		images:   &packedImages{data: pixels, stride: shape.Size(), shapeOf: shape},
	}, nil
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
	shapes  []Shape
	common  Shape // every image's shape, when uniform
	uniform bool
	decode  func(i int) (Image, error)

	mu    sync.Mutex
	cache [][]uint8
}

func newLazyImages(shapes []Shape, decode func(i int) (Image, error)) *lazyImages {
	l := &lazyImages{shapes: shapes, decode: decode, cache: make([][]uint8, len(shapes))}
	l.uniform = len(shapes) > 0
	for _, s := range shapes {
		if s != shapes[0] {
			l.uniform = false
			break
		}
	}
	if l.uniform {
		l.common = shapes[0]
	}
	return l
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
