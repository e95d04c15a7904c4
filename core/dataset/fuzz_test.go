package dataset

import (
	"bytes"
	"image/color"
	"testing"
	"testing/fstest"
)

// fuzzBudget keeps fuzzed headers from asking for much memory while
// still letting small valid sets through.
const fuzzBudget = 8 << 20

// exercise reads every image of a set opened from fuzzed input and
// preprocesses it, so lazy decoding and resizing see the input too.
func exercise(t *testing.T, set *Set) {
	if len(set.Labels) != set.N() {
		t.Fatal("labels and N disagree")
	}
	for _, l := range set.Labels {
		if l < 0 || l >= len(set.Classes) {
			t.Fatalf("label %d out of range of %d classes", l, len(set.Classes))
		}
	}
	p := Preprocess{Height: 5, Width: 4, Channels: 3, Scale: 1}
	out := make([]float32, 5*4*3)
	for i := 0; i < min(set.N(), 8); i++ {
		img, err := set.Image(i)
		if err != nil {
			continue // an error naming the problem is a fine outcome
		}
		if len(img.Pix) != img.Size() || img.Shape != set.ImageShape(i) {
			t.Fatalf("image %d: %d pixels for shape %v (set says %v)", i, len(img.Pix), img.Shape, set.ImageShape(i))
		}
		if err := set.Batch([]int{i}, p, out); err != nil {
			t.Fatalf("batch of a decodable image: %v", err)
		}
	}
}

func FuzzIDX(f *testing.F) {
	f.Add(idxImages(2, 3, 3), idxLabels(1, 2))
	f.Add(gzipBytes(f, idxImages(1, 28, 28)), gzipBytes(f, idxLabels(9)))
	f.Add(idxImages(0, 1, 1), idxLabels())
	f.Add([]byte{0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28}, idxLabels(1))
	f.Fuzz(func(t *testing.T, images, labels []byte) {
		budget := &budgetTracker{limit: fuzzBudget}
		if shape, n, pix, err := parseIDXImages(bytes.NewReader(images), "images", budget); err == nil {
			if len(pix) != n*shape.Size() {
				t.Fatalf("%d pixels for %d images of %v", len(pix), n, shape)
			}
		}
		fsys := fstest.MapFS{
			"train-images-idx3-ubyte": {Data: images},
			"train-labels-idx1-ubyte": {Data: labels},
		}
		set, err := Options{MemoryBudget: fuzzBudget}.Open(fsys, ".")
		if err == nil {
			exercise(t, set)
		}
	})
}

func FuzzCIFAR(f *testing.F) {
	f.Add(cifarBatch(1, 2), []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"))
	f.Add(cifarBatch(11), []byte{})
	f.Add([]byte{1, 2, 3}, []byte("x"))
	f.Fuzz(func(t *testing.T, batch, meta []byte) {
		if labels, err := parseCIFARLabels(batch, "batch"); err == nil && len(labels)*cifarRecordSize != len(batch) {
			t.Fatalf("%d labels from %d bytes", len(labels), len(batch))
		}
		fsys := fstest.MapFS{
			"test_batch.bin":   {Data: batch},
			"batches.meta.txt": {Data: meta},
		}
		set, err := Options{MemoryBudget: fuzzBudget}.Open(fsys, ".")
		if err == nil {
			if len(set.Classes) != 10 {
				t.Fatalf("%d classes", len(set.Classes))
			}
			exercise(t, set)
		}
	})
}

func FuzzImageFolder(f *testing.F) {
	f.Add(pngGray(f, 3, 2, 9), jpegRGB(f, 8, 8, color.RGBA{1, 2, 3, 255}), "a", "b")
	f.Add(pngRGB(f, 1, 1, color.NRGBA{1, 2, 3, 4}), []byte("junk"), "x", "x")
	f.Add(zipBytes(f, map[string][]byte{"c/d.png": pngGray(f, 2, 2, 1)}, []string{"c/d.png"}),
		tarGzBytes(f, map[string][]byte{"c/d.png": pngGray(f, 2, 2, 1)}, []string{"c/d.png"}), "z", "y")
	f.Fuzz(func(t *testing.T, first, second []byte, class1, class2 string) {
		fsys := fstest.MapFS{}
		for _, file := range []struct {
			class string
			data  []byte
		}{{class1, first}, {class2, second}} {
			if !validFuzzName(file.class) {
				return
			}
			fsys[file.class+"/img.png"] = &fstest.MapFile{Data: file.data}
		}
		fsys["archive.zip"] = &fstest.MapFile{Data: first}
		fsys["archive.tar.gz"] = &fstest.MapFile{Data: second}
		for _, p := range []string{".", "archive.zip", "archive.tar.gz"} {
			set, err := Options{MemoryBudget: fuzzBudget}.Open(fsys, p)
			if err == nil {
				exercise(t, set)
			}
		}
	})
}

func FuzzDigitsCSV(f *testing.F) {
	f.Add([]byte("0,1,2,3,1\n4,5,6,7,0\n"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Add([]byte("1e3,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Options{MemoryBudget: fuzzBudget}.Open(fstest.MapFS{"d.csv": {Data: data}}, "d.csv")
		if err == nil {
			exercise(t, set)
		}
	})
}

// validFuzzName keeps fuzzed folder names to ones a file system can hold.
func validFuzzName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if r == '/' || r == 0 || r == '\\' {
			return false
		}
	}
	return true
}
