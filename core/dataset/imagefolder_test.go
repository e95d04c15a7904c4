package dataset

import (
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestImageFolderMixedImages(t *testing.T) {
	red := color.NRGBA{200, 10, 20, 255}
	fsys := fstest.MapFS{
		"set/dog/b.png":           {Data: pngGray(t, 4, 3, 77)},
		"set/dog/sub/c.jpeg":      {Data: jpegRGB(t, 16, 16, color.RGBA{0, 0, 255, 255})},
		"set/cat/a.PNG":           {Data: pngRGB(t, 5, 5, red)},
		"set/cat/notes.txt":       {Data: []byte("ignored")},
		"set/cat/._a.PNG":         {Data: []byte("macOS fork, ignored")},
		"set/.hidden/x.png":       {Data: pngGray(t, 1, 1, 0)},
		"set/__MACOSX/cat/a":      {Data: []byte("ignored")},
		"set/ant/translucent.png": {Data: pngRGB(t, 2, 2, color.NRGBA{10, 20, 30, 128})},
	}
	set, err := Open(fsys, "set")
	if err != nil {
		t.Fatal(err)
	}
	if set.Format != FormatImageFolder || !slices.Equal(set.Classes, []string{"ant", "cat", "dog"}) {
		t.Fatalf("format %q classes %v", set.Format, set.Classes)
	}
	if !slices.Equal(set.Labels, []int{0, 1, 2, 2}) {
		t.Fatalf("labels %v", set.Labels)
	}
	if _, uniform := set.Shape(); uniform {
		t.Error("mixed sizes reported uniform")
	}
	if got := set.ImageShape(2); got != (Shape{1, 3, 4}) {
		t.Errorf("gray PNG shape %v, want 1x3x4", got)
	}
	ant := mustImage(t, set, 0)
	if ant.Pix[0] != 10 || ant.Pix[4] != 20 || ant.Pix[8] != 30 {
		t.Errorf("translucent PNG: %v, want straight RGB 10 20 30 with alpha dropped", ant.Pix)
	}
	cat := mustImage(t, set, 1)
	if cat.Shape != (Shape{3, 5, 5}) || cat.Pix[0] != 200 || cat.Pix[25] != 10 || cat.Pix[50] != 20 {
		t.Errorf("cat: %v %v", cat.Shape, cat.Pix[:1])
	}
	if dog := mustImage(t, set, 2); dog.Pix[11] != 77 {
		t.Errorf("gray dog pixel %d, want 77", dog.Pix[11])
	}
	blue := mustImage(t, set, 3)
	if b := blue.Pix[2*256+8*16+8]; b < 245 || blue.Pix[8*16+8] > 10 {
		t.Errorf("blue JPEG centre: red %d blue %d", blue.Pix[8*16+8], b)
	}
	// decoded images are kept: the second call returns the same pixels.
	again := mustImage(t, set, 3)
	if &again.Pix[0] != &blue.Pix[0] {
		t.Error("a decoded image was decoded again")
	}
}

func TestImageFolderZip(t *testing.T) {
	files := map[string][]byte{
		"digits/1/a.png": pngGray(t, 8, 8, 1),
		"digits/0/b.png": pngGray(t, 8, 8, 2),
		"digits/0/c.png": pngGray(t, 8, 8, 3),
	}
	archive := zipBytes(t, files, []string{"digits/1/a.png", "digits/0/b.png", "digits/0/c.png"})
	dir := t.TempDir()
	p := filepath.Join(dir, "digits.zip")
	if err := os.WriteFile(p, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, open := range []func() (*Set, error){
		func() (*Set, error) { return OpenPath(p) },
		func() (*Set, error) { return Open(fstest.MapFS{"up/d.zip": {Data: archive}}, "up") },
	} {
		set, err := open()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(set.Classes, []string{"0", "1"}) || !slices.Equal(set.Labels, []int{0, 0, 1}) {
			t.Errorf("classes %v labels %v", set.Classes, set.Labels)
		}
		if img := mustImage(t, set, 1); img.Pix[0] != 3 {
			t.Errorf("image 1 = %d, want 3 (0/c.png)", img.Pix[0])
		}
		if shape, ok := set.Shape(); !ok || shape != (Shape{1, 8, 8}) {
			t.Errorf("shape %v %v", shape, ok)
		}
	}
}

func TestImageFolderSingleClassFolder(t *testing.T) {
	// A lone folder holding images is one class, not a wrapper.
	fsys := fstest.MapFS{"only/a.png": {Data: pngGray(t, 2, 2, 9)}}
	set, err := Open(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set.Classes, []string{"only"}) || set.N() != 1 {
		t.Errorf("classes %v N %d", set.Classes, set.N())
	}
}

func TestImageFolderErrors(t *testing.T) {
	cases := map[string]struct {
		fsys fstest.MapFS
		want string
	}{
		"empty":             {fstest.MapFS{"e": {Mode: os.ModeDir}}, "is empty"},
		"loose images":      {fstest.MapFS{"a.png": {Data: pngGray(t, 1, 1, 0)}, "b.png": {Data: pngGray(t, 1, 1, 0)}}, "one sub-folder per class"},
		"empty class":       {fstest.MapFS{"c/a/x.png": {Data: pngGray(t, 1, 1, 0)}, "c/b/readme.txt": {}}, "c/b has no PNG or JPEG"},
		"unreadable header": {fstest.MapFS{"a/x.png": {Data: pngGray(t, 1, 1, 0)}, "b/broken.png": {Data: []byte("not a png")}}, "b/broken.png"},
		"huge header":       {fstest.MapFS{"a/x.png": {Data: hugePNGHeader(t)}, "b/y.png": {Data: pngGray(t, 1, 1, 0)}}, "each side"},
		"label range":       {fstest.MapFS{"a/x.png": {Data: pngGray(t, 1, 1, 0)}, "b/y.png": {Data: pngGray(t, 1, 1, 0)}}, "out of range"},
		"single image":      {fstest.MapFS{"x.png": {Data: pngGray(t, 1, 1, 0)}}, "single image"},
		"unknown files":     {fstest.MapFS{"x.dat": {}, "y.dat": {}}, "no data set recognised"},
	}
	for name, tc := range cases {
		opts := Options{}
		path := "."
		switch name {
		case "label range":
			opts.Classes = []string{"only one"}
		case "empty":
			path = "e"
		case "single image":
			path = "x.png"
		}
		_, err := opts.Open(tc.fsys, path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestImageFolderTruncatedImageNamedAtDecode(t *testing.T) {
	full := pngGray(t, 64, 64, 5)
	fsys := fstest.MapFS{"a/ok.png": {Data: full}, "b/cut.png": {Data: full[:len(full)/2]}}
	set, err := Open(fsys, ".")
	if err != nil {
		t.Fatalf("headers are intact, open should succeed: %v", err)
	}
	_, err = set.Image(1)
	if err == nil || !strings.Contains(err.Error(), "b/cut.png") {
		t.Errorf("decoding a truncated image: %v, want the file named", err)
	}
	dst := make([]float32, 2*64*64)
	if err := set.Batch([]int{0, 1}, DefaultPreprocess([]int{1, 1, 64, 64}), dst); err == nil || !strings.Contains(err.Error(), "cut.png") {
		t.Errorf("batch with a truncated image: %v", err)
	}
}

func TestImageFolderBudget(t *testing.T) {
	fsys := fstest.MapFS{"a/x.png": {Data: pngRGB(t, 100, 100, color.NRGBA{A: 255})}}
	_, err := Options{MemoryBudget: 10000}.Open(fsys, ".")
	if err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("%v, want a budget error", err)
	}
}

// hugePNGHeader is a PNG whose header claims 100000 x 100000 pixels.
func hugePNGHeader(t *testing.T) []byte {
	data := pngGray(t, 1, 1, 0)
	// IHDR's width and height follow the 8-byte signature and the chunk's
	// length and type; the chunk's CRC is recomputed so only the size is
	// wrong.
	ihdr := data[8+8 : 8+8+13]
	ihdr[0], ihdr[1], ihdr[2], ihdr[3] = 0, 1, 0x86, 0xA0
	ihdr[4], ihdr[5], ihdr[6], ihdr[7] = 0, 1, 0x86, 0xA0
	crc := crc32IEEE(data[8+4 : 8+8+13])
	data[8+8+13], data[8+8+14], data[8+8+15], data[8+8+16] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return data
}

func TestImageFolderWrapperBesideReadme(t *testing.T) {
	fsys := fstest.MapFS{
		"README.txt":     {Data: []byte("pets")},
		"data/cat/1.png": {Data: pngGray(t, 2, 2, 1)},
		"data/dog/1.png": {Data: pngGray(t, 2, 2, 2)},
	}
	set, err := Open(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set.Classes, []string{"cat", "dog"}) {
		t.Errorf("classes %v, want the wrapper looked through", set.Classes)
	}
}
