package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/job"
)

// demoFiles reads the bundled demo (www/demo), skipping when the data has
// not been prepared (node scripts/build-demo.mjs).
func demoFiles(t *testing.T) (model []File, data []File) {
	t.Helper()
	dir := filepath.Join("..", "www", "demo")
	read := func(name string) File {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Skipf("demo not prepared (run node scripts/build-demo.mjs): %v", err)
		}
		return File{Path: name, Bytes: b}
	}
	model = []File{read("demo-resnet-mnist.onnx")}
	data = []File{read("mnist-test-images-idx3-ubyte"), read("mnist-test-labels-idx1-ubyte")}
	return model, data
}

func TestDemoOpensAndEvaluates(t *testing.T) {
	modelFiles, dataFiles := demoFiles(t)
	s := &Service{}
	view, err := s.OpenModel("", modelFiles)
	if err != nil {
		t.Fatal(err)
	}
	if view.Summary.MACs <= 0 || view.Summary.Params <= 0 {
		t.Errorf("summary has no costs: %+v", view.Summary)
	}
	if got, want := len(view.Graph.Nodes), view.Summary.Nodes+2; got != want {
		t.Errorf("graph has %d nodes, want %d (ops + input + output)", got, want)
	}
	data, err := s.OpenData(dataFiles, nil)
	if err != nil {
		t.Fatal(err)
	}
	if data.Count != 1000 || len(data.Classes) != 10 {
		t.Fatalf("data: %d images, %d classes", data.Count, len(data.Classes))
	}
	var calls int
	var last job.Progress
	pred, err := s.Evaluate(context.Background(), 0, 100, 32, func(p job.Progress) { calls++; last = p })
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, p := range pred.Pred {
		if p == pred.Labels[i] {
			correct++
		}
	}
	if correct < 90 {
		t.Errorf("demo model right on %d of 100 images; it is above 95 %%", correct)
	}
	if calls != 4 || last.Stage != "evaluate" || last.Done != 100 || last.Total != 100 || last.Figures["accuracy"] != float64(correct)/100 {
		t.Errorf("progress reported %d times for 4 batches, the last %+v", calls, last)
	}
	// Cancel goes through the context: the evaluation stops at the next
	// batch with the page's "cancelled" error, no panic.
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	_, err = s.Evaluate(ctx, 0, 100, 32, func(job.Progress) { calls++; cancel() })
	if AsUserError(err).Code != "cancelled" || calls != 1 {
		t.Errorf("cancelled after the first batch: %v after %d batches", err, calls)
	}
	hist, err := s.Histogram(view.Graph.Nodes[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	thumbs, err := s.Thumbnails([]int{0, 1})
	if err != nil || len(thumbs.Blob) != 2*28*28*4 {
		t.Errorf("thumbnails: %v, %d bytes", err, len(thumbs.Blob))
	}
	_ = hist
}

func TestTruncatedModelIsAClearError(t *testing.T) {
	modelFiles, _ := demoFiles(t)
	b := modelFiles[0].Bytes
	_, err := (&Service{}).OpenModel("", []File{{Path: "m.onnx", Bytes: b[:len(b)/2]}})
	var ue *UserError
	if !errors.As(err, &ue) || ue.Code != "not-onnx" || !strings.Contains(ue.Message, "m.onnx") {
		t.Fatalf("got %v", err)
	}
}

func TestEvaluateNeedsModelAndData(t *testing.T) {
	_, err := (&Service{}).Evaluate(context.Background(), 0, 1, 1, nil)
	if AsUserError(err).Code != "no-model" {
		t.Fatalf("got %v", err)
	}
}

func TestDataRoot(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{"a.zip"}, "a.zip"},
		{[]string{"set/0/a.png", "set/1/b.png"}, "set"},
		{[]string{"x-images-idx3-ubyte", "x-labels-idx1-ubyte"}, "."},
		{[]string{"a/0/x.png", "b/1/y.png"}, "."},
	} {
		var files []File
		for _, p := range c.paths {
			files = append(files, File{Path: p})
		}
		if got := dataRoot(files); got != c.want {
			t.Errorf("dataRoot(%v) = %q, want %q", c.paths, got, c.want)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"/a/b.png": "a/b.png", `a\b.png`: "a/b.png", "./x": "x", "../../etc": "etc"} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHistogramBinsEveryFiniteValue(t *testing.T) {
	h := histogramOf([]float64{-1, 0, 0, 1, 2, 3})
	sum := 0
	for _, c := range h.Counts {
		sum += c
	}
	if sum != 6 || h.Zeros != 2 || h.Min != -1 || h.Max != 3 {
		t.Fatalf("%+v", h)
	}
}

func TestFilesFSRefusesAFileThatIsAlsoAFolder(t *testing.T) {
	_, err := filesFS([]File{{Path: "set/a", Bytes: []byte("x")}, {Path: "set/a/b.png", Bytes: []byte("y")}})
	if ue := AsUserError(err); ue == nil || ue.Code != "bad-file-name" || !strings.Contains(ue.Message, `"set/a" is a file`) {
		t.Fatalf("got %v", err)
	}
	fsys, err := filesFS([]File{{Path: `/set\0\x.png`, Bytes: []byte("png")}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "set/0/x.png"); err != nil || string(b) != "png" {
		t.Errorf("ReadFile(set/0/x.png) = %q, %v", b, err)
	}
}

func TestClassCountReadsEveryDimAfterTheBatch(t *testing.T) {
	for _, c := range []struct {
		shape []string
		want  int
	}{
		{[]string{"N", "10"}, 10},
		{[]string{"1", "1000", "1", "1"}, 1000}, // DenseNet-121 of the ONNX model zoo
		{[]string{"10"}, 10},
		{[]string{"N", "K"}, 0},
		{[]string{}, 0},
		{[]string{"1", "0"}, 0},
	} {
		if got := classCount(c.shape); got != c.want {
			t.Errorf("classCount(%v) = %d, want %d", c.shape, got, c.want)
		}
	}
}

// TestEvaluatePlansItsBatch: the session predicts its arena for a batch of
// one, and Evaluate plans it for the batch it runs (exec PlanAhead), so
// that an evaluation's first run is served from the arena, not from free
// lists that would be a worker's peak.
func TestEvaluatePlansItsBatch(t *testing.T) {
	s := openDemo(t)
	if _, err := s.Evaluate(context.Background(), 0, 32, 32, nil); err != nil {
		t.Fatal(err)
	}
	if st := s.session.Stats(); st.PeakFreeBytes != 0 || st.ReusedBytes == 0 {
		t.Errorf("the first run of a batch of 32 used free lists of %d bytes (%d bytes from the arena)", st.PeakFreeBytes, st.ReusedBytes)
	}
}
