package dataset_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing/fstest"

	"github.com/pare-ml/pare/core/dataset"
)

func grayPNG(w, h int, v uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// An image folder of two classes, preprocessed for a model whose input is
// [N,1,28,28] and wants values in 0..1.
func Example() {
	fsys := fstest.MapFS{
		"pets/cat/1.png": {Data: grayPNG(32, 32, 255)},
		"pets/dog/1.png": {Data: grayPNG(20, 24, 51)},
		"pets/dog/2.png": {Data: grayPNG(28, 28, 0)},
	}
	set, err := dataset.Open(fsys, "pets")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Format, set.N(), set.Classes, set.Labels)

	p := dataset.DefaultPreprocess([]int{1, 1, 28, 28})
	p.Scale = 1.0 / 255
	train, val, _ := set.Split(0.5, 1)
	fmt.Println("train", train, "val", val)

	batch := make([]float32, 2*28*28)
	if err := set.Batch([]int{0, 1}, p, batch); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.3g %.3g\n", batch[0], batch[28*28])
	// Output:
	// imagefolder 3 [cat dog] [0 1 1]
	// train [0 1] val [2]
	// 1 0.2
}
