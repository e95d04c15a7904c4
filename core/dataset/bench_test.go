package dataset

import (
	"fmt"
	"image/color"
	"testing"
	"testing/fstest"
)

// BenchmarkBatchMNIST is the evaluation path of mnist-8: 64 images of
// 28x28 gray copied to float32 unchanged.
func BenchmarkBatchMNIST(b *testing.B) {
	set := packedSet(Shape{1, 28, 28}, make([]uint8, 64*784))
	indices := Permutation(64, 1)
	dst := make([]float32, 64*784)
	p := DefaultPreprocess([]int{1, 1, 28, 28})
	b.SetBytes(64 * 784)
	for b.Loop() {
		if err := set.Batch(indices, p, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatchResize resizes 64 colour 32x32 images to 224x224 with
// mean/std, the costliest preprocessing path.
func BenchmarkBatchResize(b *testing.B) {
	set := packedSet(Shape{3, 32, 32}, make([]uint8, 64*3072))
	indices := Permutation(64, 1)
	dst := make([]float32, 64*3*224*224)
	p := Preprocess{Height: 224, Width: 224, Channels: 3, Scale: 1.0 / 255, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	b.SetBytes(64 * 3072)
	for b.Loop() {
		if err := set.Batch(indices, p, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImageFolderOpenAndDecode opens a folder of 100 JPEGs (headers
// only) and decodes all of them once.
func BenchmarkImageFolderOpenAndDecode(b *testing.B) {
	fsys := fstest.MapFS{}
	for i := 0; i < 100; i++ {
		fsys[fmt.Sprintf("c%d/%d.jpg", i%10, i)] = &fstest.MapFile{Data: jpegRGB(b, 64, 64, color.RGBA{uint8(i), 50, 100, 255})}
	}
	for b.Loop() {
		set, err := Open(fsys, ".")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < set.N(); i++ {
			if _, err := set.Image(i); err != nil {
				b.Fatal(err)
			}
		}
	}
}
