package dataset

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func cifarFolder(t *testing.T) fstest.MapFS {
	return fstest.MapFS{
		"cifar-10-batches-bin/data_batch_1.bin":  {Data: cifarBatch(0, 1, 2)},
		"cifar-10-batches-bin/data_batch_2.bin":  {Data: cifarBatch(3, 4)},
		"cifar-10-batches-bin/data_batch_10.bin": {Data: cifarBatch(9)},
		"cifar-10-batches-bin/test_batch.bin":    {Data: cifarBatch(5, 6, 7, 8)},
		"cifar-10-batches-bin/batches.meta.txt":  {Data: []byte("plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n")},
		"cifar-10-batches-bin/readme.html":       {Data: []byte("<html>")},
	}
}

func TestCIFARSplits(t *testing.T) {
	fsys := cifarFolder(t)
	test, err := Open(fsys, ".") // looks through the wrapping folder
	if err != nil {
		t.Fatal(err)
	}
	if test.Format != FormatCIFAR10 || test.SplitName != SplitTest || !slices.Equal(test.Labels, []int{5, 6, 7, 8}) {
		t.Errorf("default: format %q split %q labels %v, want the test batch", test.Format, test.SplitName, test.Labels)
	}
	if len(test.Notes) != 1 || !strings.Contains(test.Notes[0], "test split") {
		t.Errorf("notes %q: want one saying the test split was chosen", test.Notes)
	}
	if test.Classes[1] != "car" {
		t.Errorf("classes %v: want batches.meta.txt's names", test.Classes)
	}
	img := mustImage(t, test, 2)
	if img.Shape != (Shape{3, 32, 32}) || img.Pix[0] != 2 || img.Pix[1024] != 4 || img.Pix[3071] != 6 {
		t.Errorf("image 2: %v red %d green %d blue %d, want 2 4 6", img.Shape, img.Pix[0], img.Pix[1024], img.Pix[3071])
	}

	train, err := Options{Split: SplitTrain}.Open(fsys, "cifar-10-batches-bin")
	if err != nil {
		t.Fatal(err)
	}
	// batches in numeric order: 1, 2, 10
	if !slices.Equal(train.Labels, []int{0, 1, 2, 3, 4, 9}) || len(train.Notes) != 0 {
		t.Errorf("train labels %v notes %q", train.Labels, train.Notes)
	}
	if img := mustImage(t, train, 4); img.Pix[0] != 1 || img.Pix[2048] != 3 {
		t.Errorf("train image 4 (second of batch 2): red %d blue %d, want 1 3", img.Pix[0], img.Pix[2048])
	}
}

func TestCIFARSingleFileAndDefaults(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "test_batch.bin")
	if err := os.WriteFile(p, cifarBatch(3, 3, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := OpenPath(p)
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 3 || set.Classes[3] != "cat" {
		t.Errorf("N %d classes %v: want 3 images and the standard names", set.N(), set.Classes)
	}
}

func TestCIFARErrors(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want string
	}{
		"partial record": {cifarBatch(1)[:3000], "whole number of CIFAR-10 records"},
		"label 10":       {cifarBatch(1, 10), "record 1 has label 10"},
		"empty":          {nil, "whole number"},
	}
	for name, tc := range cases {
		fsys := fstest.MapFS{"test_batch.bin": {Data: tc.data}}
		_, err := Open(fsys, ".")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	fsys := fstest.MapFS{"test_batch.bin": {Data: cifarBatch(1)}}
	if _, err := (Options{Split: SplitTrain}).Open(fsys, "."); err == nil || !strings.Contains(err.Error(), "data_batch") {
		t.Errorf("train requested without training batches: %v", err)
	}
	fsys = fstest.MapFS{"test_batch.bin": {Data: cifarBatch(make([]byte, 10)...)}}
	if _, err := (Options{MemoryBudget: 3 * cifarRecordSize}).Open(fsys, "."); err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("over budget: %v", err)
	}
}

// CIFAR-10 is distributed as cifar-10-binary.tar.gz: it opens as it is.
func TestCIFARTarGz(t *testing.T) {
	files := map[string][]byte{
		"cifar-10-batches-bin/data_batch_1.bin": cifarBatch(4, 2),
		"cifar-10-batches-bin/test_batch.bin":   cifarBatch(7),
		"cifar-10-batches-bin/readme.html":      []byte("<html>"),
	}
	archive := tarGzBytes(t, files, []string{"cifar-10-batches-bin/readme.html", "cifar-10-batches-bin/data_batch_1.bin", "cifar-10-batches-bin/test_batch.bin"})
	p := filepath.Join(t.TempDir(), "cifar-10-binary.tar.gz")
	if err := os.WriteFile(p, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Options{Split: SplitTrain}.OpenPath(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set.Labels, []int{4, 2}) || set.Format != FormatCIFAR10 {
		t.Errorf("labels %v format %q", set.Labels, set.Format)
	}
	if img := mustImage(t, set, 1); img.Pix[0] != 1 {
		t.Errorf("image 1 red %d, want 1", img.Pix[0])
	}
	if _, err := (Options{MemoryBudget: 1000}).OpenPath(p); err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("tar member over budget: %v", err)
	}
}
