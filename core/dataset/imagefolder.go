package dataset

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"io/fs"
	"path"
	"strings"
)

// maxImageSide bounds one image's width and height, and maxImagePixels
// its area, so a header claiming a gigapixel image is refused before it is
// decoded: decoding holds the decoder's image (up to 8 bytes a pixel for
// 16-bit PNGs) beside the planar copy, so 64 MP costs at most ~700 MB.
const (
	maxImageSide   = 1 << 14
	maxImagePixels = 1 << 26
)

// isImageName says whether a file name has an extension this package decodes.
func isImageName(n string) bool {
	lower := strings.ToLower(n)
	return strings.HasSuffix(lower, ".png") || strings.HasSuffix(lower, ".jpg") || strings.HasSuffix(lower, ".jpeg")
}

// isIgnoredName skips what operating systems and archivers leave behind:
// hidden files (.DS_Store, macOS "._x.png" forks) and __MACOSX folders.
func isIgnoredName(n string) bool {
	return strings.HasPrefix(n, ".") || n == "__MACOSX" || n == "Thumbs.db" || n == "desktop.ini"
}

// imageFile is one image of an image folder, known by its header.
type imageFile struct {
	path  string
	shape Shape
}

// loadImageFolder reads dir's class sub-folders: sorted folder names are
// classes 0..K-1, and every PNG/JPEG below a class folder is an image of
// that class. Headers are read now (sizes, and to name an unreadable file
// early); pixels are decoded on first use.
func loadImageFolder(fsys fs.FS, dir string, opts Options, budget *budgetTracker) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !isIgnoredName(e.Name()) {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("dataset: %s has no class sub-folders: an image folder needs one folder of PNG/JPEG images per class (for example cat/1.png, dog/2.jpg)", displayPath(dir))
	}
	var files []imageFile
	var labels []int
	for label, class := range classes {
		classDir := path.Join(dir, class)
		count := 0
		err := fs.WalkDir(fsys, classDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("dataset: %w", err)
			}
			if isIgnoredName(d.Name()) && p != classDir {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() || !isImageName(d.Name()) {
				return nil
			}
			shape, err := readImageHeader(fsys, p)
			if err != nil {
				return err
			}
			if err := budget.reserve(fmt.Sprintf("the decoded images of %s", displayPath(dir)), 1, int64(shape.Size())+8); err != nil {
				return err
			}
			files = append(files, imageFile{path: p, shape: shape})
			labels = append(labels, label)
			count++
			return nil
		})
		if err != nil {
			return nil, err
		}
		if count == 0 {
			return nil, fmt.Errorf("dataset: class folder %s has no PNG or JPEG images: add some or remove the folder (every sub-folder is a class)", classDir)
		}
	}
	classes, err = applyClassNames(classes, opts.Classes, labels, displayPath(dir))
	if err != nil {
		return nil, err
	}
	shapes := make([]Shape, len(files))
	for i, f := range files {
		shapes[i] = f.shape
	}
	return &Set{
		Format:   FormatImageFolder,
		Source:   dir,
		Labels:   labels,
		Classes:  classes,
		PixelMax: 255,
		images:   newLazyImages(shapes, func(i int) (Image, error) { return decodeImageFile(fsys, files[i]) }),
	}, nil
}

// readImageHeader reads an image's size and colour model without decoding.
func readImageHeader(fsys fs.FS, p string) (Shape, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return Shape{}, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return Shape{}, fmt.Errorf("dataset: cannot read image %s: %v (only PNG and JPEG are supported)", p, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return Shape{}, fmt.Errorf("dataset: image %s (%s) is %dx%d: each side must be 1..%d", p, format, cfg.Width, cfg.Height, maxImageSide)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxImagePixels {
		return Shape{}, fmt.Errorf("dataset: image %s (%s) is %dx%d, %d megapixels: Pare decodes images of at most %d megapixels; downscale it first", p, format, cfg.Width, cfg.Height, px>>20, maxImagePixels>>20)
	}
	return Shape{C: channelsOf(cfg.ColorModel), H: cfg.Height, W: cfg.Width}, nil
}

// channelsOf maps a colour model to 1 (gray) or 3 (everything else; alpha
// is dropped).
func channelsOf(m color.Model) int {
	if m == color.GrayModel || m == color.Gray16Model {
		return 1
	}
	return 3
}

// decodeImageFile decodes one image into planar uint8 pixels.
func decodeImageFile(fsys fs.FS, file imageFile) (Image, error) {
	f, err := fsys.Open(file.path)
	if err != nil {
		return Image{}, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return Image{}, fmt.Errorf("dataset: cannot decode image %s: %v", file.path, err)
	}
	b := img.Bounds()
	if b.Dx() != file.shape.W || b.Dy() != file.shape.H {
		return Image{}, fmt.Errorf("dataset: image %s decoded to %dx%d but its header said %dx%d", file.path, b.Dx(), b.Dy(), file.shape.W, file.shape.H)
	}
	return Image{Shape: file.shape, Pix: planarPixels(img, file.shape.C)}, nil
}

// planarPixels copies an image into planar uint8 (C,H,W). Colour keeps
// straight (not alpha-premultiplied) R, G, B and drops alpha, as most
// training pipelines do when converting to RGB.
func planarPixels(img image.Image, channels int) []uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	plane := w * h
	pix := make([]uint8, channels*plane)
	switch src := img.(type) {
	case *image.Gray:
		if channels == 1 {
			for y := 0; y < h; y++ {
				copy(pix[y*w:(y+1)*w], src.Pix[y*src.Stride:])
			}
			return pix
		}
	case *image.YCbCr:
		if channels == 3 {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					yi := src.YOffset(b.Min.X+x, b.Min.Y+y)
					ci := src.COffset(b.Min.X+x, b.Min.Y+y)
					o := y*w + x
					pix[o], pix[plane+o], pix[2*plane+o] = color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				}
			}
			return pix
		}
	case *image.RGBA:
		// Opaque RGB PNGs decode to RGBA: premultiplied equals straight
		// when alpha is 255, the common case; others go through At.
		if channels == 3 && src.Opaque() {
			for y := 0; y < h; y++ {
				row := src.Pix[y*src.Stride:]
				for x := 0; x < w; x++ {
					o := y*w + x
					pix[o], pix[plane+o], pix[2*plane+o] = row[4*x], row[4*x+1], row[4*x+2]
				}
			}
			return pix
		}
	case *image.NRGBA:
		if channels == 3 {
			for y := 0; y < h; y++ {
				row := src.Pix[y*src.Stride:]
				for x := 0; x < w; x++ {
					o := y*w + x
					pix[o], pix[plane+o], pix[2*plane+o] = row[4*x], row[4*x+1], row[4*x+2]
				}
			}
			return pix
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := img.At(b.Min.X+x, b.Min.Y+y)
			o := y*w + x
			if channels == 1 {
				pix[o] = color.GrayModel.Convert(c).(color.Gray).Y
				continue
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pix[o], pix[plane+o], pix[2*plane+o] = n.R, n.G, n.B
		}
	}
	return pix
}
