package hostile

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"maps"
	"slices"
	"strings"
)

// idxImages builds an IDX3 unsigned-byte images file header claiming n
// images of h x w, followed by payload.
func idxImages(n, h, w uint32, payload []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, []uint32{0x00000803, n, h, w})
	b.Write(payload)
	return b.Bytes()
}

func idxLabels(labels []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, []uint32{0x00000801, uint32(len(labels))})
	b.Write(labels)
	return b.Bytes()
}

// validLabels are ten images' labels, one per class.
var validLabels = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}

// idxSet writes an IDX images/labels pair into folder name.
func (w *writer) idxSet(name string, images, labels []byte) string {
	w.file(name+"/train-images-idx3-ubyte", images)
	w.file(name+"/train-labels-idx1-ubyte", labels)
	return w.path(name)
}

// validData is a ten-image IDX set the base model evaluates.
func (w *writer) validData() string {
	p := w.path("valid/data")
	if !w.exists(p) {
		w.idxSet("valid/data", idxImages(10, baseSide, baseSide, make([]byte, 10*baseSide*baseSide)), idxLabels(validLabels))
	}
	return p
}

func pngBytes(wd, ht int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, wd, ht))); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// pngHeader is a PNG whose header claims wd x ht RGB and whose pixel data
// is a few junk bytes: readers must refuse it from the header alone.
func pngHeader(wd, ht uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, wd)
	ihdr = binary.BigEndian.AppendUint32(ihdr, ht)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x01, 0x01, 0x00, 0x00})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegHeader is a baseline JPEG start claiming wd x ht, three components.
func jpegHeader(wd, ht uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 17, 8}
	b = binary.BigEndian.AppendUint16(b, ht)
	b = binary.BigEndian.AppendUint16(b, wd)
	b = append(b, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)
	return append(b, 0xff, 0xd9)
}

// imageFolder writes a class folder set: files maps "class/name" to bytes.
func (w *writer) imageFolder(name string, files map[string][]byte) string {
	for p, data := range files {
		w.file(name+"/"+p, data)
	}
	return w.path(name)
}

// zipOf builds a zip archive of files (deflated).
func zipOf(files map[string][]byte, order ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	if len(order) == 0 {
		order = slices.Sorted(maps.Keys(files))
	}
	for _, name := range order {
		f, err := zw.Create(name)
		if err != nil {
			panic(err)
		}
		f.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func gzipped(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// data adds pare eval cases with hostile data sets.
func (w *writer) data() {
	model := w.validModel()
	eval := func(name, data string, c Case) {
		c.Name = "eval/" + name
		c.Args = []string{"eval", model, "--data", data}
		w.add(c)
	}
	want := func(s ...string) Case { return Case{Want: s} }
	px := make([]byte, 10*baseSide*baseSide)

	// IDX
	labels255 := bytes.Clone(validLabels)
	labels255[3] = 255
	eval("idx/label-255", w.idxSet("data/idx-label255", idxImages(10, 4, 4, px), idxLabels(labels255)), want("label 255", "10"))
	eval("idx/label-10", w.idxSet("data/idx-label10", idxImages(10, 4, 4, px), idxLabels([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 10})), want("label 10", "10"))
	eval("idx/count-mismatch", w.idxSet("data/idx-count", idxImages(10, 4, 4, px), idxLabels(validLabels[:7])), want("counts must match"))
	eval("idx/truncated", w.idxSet("data/idx-trunc", idxImages(10, 4, 4, px[:50]), idxLabels(validLabels)), want("truncated"))
	eval("idx/header-huge", w.idxSet("data/idx-huge", idxImages(1<<30, 1<<16, 1<<16, px), idxLabels(validLabels)), want("not plausible"))
	eval("idx/header-zero", w.idxSet("data/idx-zero", idxImages(10, 0, 4, px), idxLabels(validLabels)), want("0"))
	eval("idx/bad-magic", w.idxSet("data/idx-magic", append([]byte{0, 0, 9, 9}, idxImages(10, 4, 4, px)[4:]...), idxLabels(validLabels)), want("magic"))
	eval("idx/labels-short-header", w.idxSet("data/idx-lshort", idxImages(10, 4, 4, px), []byte{0, 0, 8}), want("too short"))
	eval("idx/gzip-claims-huge", w.idxSet("data/idx-gzhuge", gzipped(idxImages(1<<24, 28, 28, make([]byte, 1<<16))), idxLabels(validLabels)), want("memory"))
	eval("idx/gzip-damaged", w.idxSet("data/idx-gzbad", []byte{0x1f, 0x8b, 0, 0, 1, 2}, idxLabels(validLabels)), want("gzip"))
	eval("idx/labels-only", w.file("data/idx-lonly/train-labels-idx1-ubyte", idxLabels(validLabels)), want("labels file"))

	// CIFAR-10
	rec := make([]byte, 3073)
	eval("cifar/truncated", w.file("data/cifar-trunc/test_batch.bin", append(bytes.Clone(rec), rec[:100]...)), want("whole number"))
	bad := bytes.Clone(rec)
	bad[0] = 200
	eval("cifar/label-200", w.file("data/cifar-label/test_batch.bin", bad), want("label 200"))
	eval("cifar/empty", w.file("data/cifar-empty/test_batch.bin", nil), want("0 bytes"))

	// Image folders.
	img := pngBytes(4, 4)
	eval("images/side-16384-header", w.imageFolder("data/img-16k", map[string][]byte{"a/big.png": pngHeader(16384, 16384), "b/ok.png": img}), want("big.png", "pixels"))
	eval("images/side-1e6-header", w.imageFolder("data/img-1m", map[string][]byte{"a/big.png": pngHeader(1000000, 1000000), "b/ok.png": img}), want("big.png"))
	eval("images/strip", w.imageFolder("data/img-strip", map[string][]byte{"a/strip.png": pngHeader(1<<30, 1), "b/ok.png": img}), want("strip.png"))
	eval("images/jpeg-65535", w.imageFolder("data/img-jpeg", map[string][]byte{"a/big.jpg": jpegHeader(65535, 65535), "b/ok.png": img}), want("big.jpg"))
	eval("images/png-truncated", w.imageFolder("data/img-trunc", map[string][]byte{"a/t.png": img[:len(img)/2], "b/ok.png": img}), want("t.png"))
	eval("images/not-an-image", w.imageFolder("data/img-text", map[string][]byte{"a/readme.png": []byte("hello"), "b/ok.png": img}), want("readme.png"))
	eval("images/pixels-lie", w.imageFolder("data/img-lie", map[string][]byte{"a/lie.png": pngHeader(64, 64), "b/ok.png": img}), want("lie.png"))
	classes := map[string][]byte{}
	for k := range 12 {
		classes[fmt.Sprintf("class%02d/i.png", k)] = img
	}
	eval("images/12-classes", w.imageFolder("data/img-12", classes), want("12", "10"))
	eval("images/no-classes", w.file("data/img-none/readme.txt", []byte("nothing")), want("unrecognised"))
	eval("images/empty-class", w.imageFolder("data/img-emptyclass", map[string][]byte{"a/ok.png": img, "b/notes.txt": []byte("x")}), want("no PNG or JPEG"))
	if w.heavy {
		eval("images/side-16384-real", w.imageFolder("data/img-16k-real", map[string][]byte{"a/big.png": bigPNG(16384), "b/ok.png": img}), want("big.png"))
	}

	// Archives.
	digits := []byte(strings.Repeat("0,", 16) + "3\n")
	zipSet := func(name string, files map[string][]byte, order ...string) string {
		return w.file("data/"+name+".zip", zipOf(files, order...))
	}
	eval("zip/ok-wrong-labels", zipSet("zip-labels", map[string][]byte{"digits.csv": []byte(strings.Repeat("0,", 16) + "42\n")}, "digits.csv"), want("label 42"))
	eval("zip/corrupt", w.file("data/zip-corrupt.zip", append([]byte("PK\x03\x04"), make([]byte, 200)...)), want("zip"))
	zipped := zipOf(map[string][]byte{"digits.csv": digits}, "digits.csv")
	eval("zip/truncated", w.file("data/zip-trunc.zip", zipped[:len(zipped)-30]), want("zip"))
	inner := zipped
	for range 7 {
		inner = zipOf(map[string][]byte{"inner.zip": inner}, "inner.zip")
	}
	eval("zip/nested-7", w.file("data/zip-nested.zip", inner), want("nested"))
	bombSize := 8 << 20
	if w.heavy {
		bombSize = 1 << 30
	}
	bomb := zipOf(map[string][]byte{"digits.csv": bytes.Repeat([]byte("0"), bombSize)}, "digits.csv")
	eval("zip/bomb", w.file("data/zip-bomb.zip", bomb), want("digits.csv"))
	// Member names that climb out are read inside the archive (archive/zip
	// cleans them); nothing is written, so reading the set is fine.
	eval("zip/traversal-names", zipSet("zip-traversal", map[string][]byte{"../../evil/a.png": img, "/abs/b.png": img}, "../../evil/a.png", "/abs/b.png"), Case{MaySucceed: true})
	eval("zip/many-entries", zipSet("zip-many", manyEntries(4000)), want("")) // refused or read, never a crash
	w.cases[len(w.cases)-1].MaySucceed = true
	w.cases[len(w.cases)-1].Want = nil

	// Digits CSV.
	eval("csv/label-99", w.file("data/csv-label/digits.csv", []byte(strings.Repeat("0,", 16)+"99\n")), want("label 99"))
	eval("csv/ragged", w.file("data/csv-ragged/digits.csv", []byte(strings.Repeat("0,", 16)+"3\n0,0,1\n")), want("columns"))
	eval("csv/not-square", w.file("data/csv-square/digits.csv", []byte("0,0,0,1\n")), want("square"))
	eval("csv/negative", w.file("data/csv-neg/digits.csv", []byte(strings.Repeat("-1,", 16)+"3\n")), want("0..255"))
	eval("csv/huge-line", w.file("data/csv-line/digits.csv", bytes.Repeat([]byte("0,"), 1<<20)), want("digits.csv"))

	// Paths that are not data.
	eval("path/missing", w.path("data/none"), want("no such file"))
	if w.exists("/dev/zero") {
		eval("path/dev-zero", "/dev/zero", want("zero"))
	}
	if p := w.fifo("data/fifo.zip"); p != "" {
		eval("path/fifo", p, want("not a regular file"))
	}
	// Pipes inside a data folder, found by name: refused before opening.
	if p := w.fifo("data/fifo-idx/train-images-idx3-ubyte"); p != "" {
		w.file("data/fifo-idx/train-labels-idx1-ubyte", idxLabels(validLabels))
		eval("path/fifo-in-idx-folder", w.path("data/fifo-idx"), want("named pipe"))
	}
	if p := w.fifo("data/fifo-images/a/pipe.png"); p != "" {
		w.file("data/fifo-images/b/ok.png", img)
		eval("path/fifo-in-class-folder", w.path("data/fifo-images"), want("named pipe"))
	}
	if w.exists("/dev/zero") && w.symlink("/dev/zero", "data/dev-images/a/zero.png") != "" {
		w.file("data/dev-images/b/ok.png", img)
		eval("path/device-in-class-folder", w.path("data/dev-images"), want("device"))
	}
	eval("path/huge-sparse-zip", w.sparse("data/huge.zip", 5<<30), want("huge.zip"))

	// Training reads the same data and checks labels against the model.
	tr := func(cmd, name, data, wantText string) {
		w.add(Case{Name: cmd + "/" + name, Args: []string{cmd, model, "--data", data, "--epochs", "1", "--batch", "4", "-o", w.path("out/" + cmd + "-" + name + ".onnx")},
			Want: []string{wantText}})
	}
	tr("finetune", "label-255", w.path("data/idx-label255"), "label 255")
	tr("train", "label-255", w.path("data/idx-label255"), "label 255")
	tr("finetune", "12-classes", w.path("data/img-12"), "12")
	tr("finetune", "side-16384", w.path("data/img-16k"), "big.png")
}

// manyEntries is a zip directory of n tiny files in one class folder.
func manyEntries(n int) map[string][]byte {
	files := map[string][]byte{}
	for i := range n {
		files[fmt.Sprintf("c/%d.txt", i)] = nil
	}
	return files
}

// bigPNG is a real side x side RGB PNG of zeros (small on disk, huge decoded).
func bigPNG(side int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, side, side))); err != nil {
		panic(err)
	}
	return b.Bytes()
}
