package dataset

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// idxImages builds an IDX images file of n images h x w, pixel (i,y,x) =
// i+y+x.
func idxImages(n, h, w int) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, []uint32{idxImagesMagic, uint32(n), uint32(h), uint32(w)})
	for i := 0; i < n; i++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				b.WriteByte(byte(i + y + x))
			}
		}
	}
	return b.Bytes()
}

// idxLabels builds an IDX labels file.
func idxLabels(labels ...byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, []uint32{idxLabelsMagic, uint32(len(labels))})
	b.Write(labels)
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cifarBatch builds CIFAR-10 records; image i has red=i, green=2i,
// blue=3i everywhere, label labels[i].
func cifarBatch(labels ...byte) []byte {
	var b bytes.Buffer
	for i, l := range labels {
		b.WriteByte(l)
		for c := 1; c <= 3; c++ {
			b.Write(bytes.Repeat([]byte{byte(c * i)}, cifarSide*cifarSide))
		}
	}
	return b.Bytes()
}

// pngGray encodes a w x h gray PNG of one value.
func pngGray(t testing.TB, w, h int, v uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngRGB encodes a w x h colour PNG of one colour.
func pngRGB(t testing.TB, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegRGB encodes a w x h colour JPEG of one colour.
func jpegRGB(t testing.TB, w, h int, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipBytes builds a zip archive of the named files.
func zipBytes(t testing.TB, files map[string][]byte, order []string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mustImage fetches image i or fails the test.
func mustImage(t testing.TB, s *Set, i int) Image {
	t.Helper()
	img, err := s.Image(i)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

// tarGzBytes builds a gzipped tar of the named files, in order.
func tarGzBytes(t testing.TB, files map[string][]byte, order []string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, name := range order {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return gzipBytes(t, b.Bytes())
}
