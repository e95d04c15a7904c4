package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/latencytest"
	"github.com/pare-ml/pare/qcqp"
)

// TestCompress runs the whole pipeline on the demo model and a few
// digits, through the JSON report: the written file meets the budget as
// re-measured here, and pare eval finds the accuracy the report states.
func TestCompress(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("five training stages take seconds natively, minutes under wasm; compress/ tests the pipeline")
	}
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	out := filepath.Join(t.TempDir(), "c.onnx")
	lat := syntheticLatency(t, demoModel)
	stdout, errs, code := runPare(t, "compress", demoModel, "--data", digits, "--scale", "15.9375", "--limit", "320", "--batch", "32",
		"--epochs", "1", "--time-limit", "1s", "--budget", "macs=50%,latency=80%", "--latency-model", lat, "--bits", "w4a4", "--json", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep compressResult
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := onnx.ReadModelFile(demoModel)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := qcqp.Measure(m)
	before, _ := qcqp.Measure(orig)
	if after.MACs > before.MACs/2 || after.MACs != rep.Resources[qcqp.MACs].After {
		t.Errorf("MACs %v of %v, reported %+v", after.MACs, before.MACs, rep.Resources[qcqp.MACs])
	}
	if l := rep.Latency; l == nil || l.Runtime != "synthetic" || math.Abs(l.BudgetMS-0.8*l.PredictedBeforeMS) > 1e-12 || l.PredictedAfterMS > l.BudgetMS {
		t.Errorf("latency report %+v", rep.Latency)
	}
	if rep.Solver == nil || rep.Accuracy["quantized"].Val == nil || rep.Recipe.Bits != "w4a4" || rep.Recipe.Finetune != "distill" {
		t.Fatalf("report: %s", stdout)
	}
	// pare eval loads and runs the written file (the report's own
	// accuracy is checked against an independent evaluation in
	// compress/pipeline_test.go).
	if o, e, code := runPare(t, "eval", out, "--data", digits, "--scale", "15.9375", "--limit", "100"); code != 0 || !strings.Contains(o, "accuracy") {
		t.Fatalf("eval of the written model: exit %d: %s %s", code, o, e)
	}
}

// TestCompressQuantizeOnly: without --budget, pare compress quantizes
// only, and the file is pare quantize's with the same images and bits
// (the same QIL defaults; only the recipe in the metadata differs).
func TestCompressQuantizeOnly(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("two QIL runs take seconds natively, minutes under wasm; compress/ tests the pipeline")
	}
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	dir := t.TempDir()
	common := []string{demoModel, "--data", digits, "--val", digits, "--scale", "15.9375", "--limit", "320", "--batch", "32", "--bits", "w4a4"}
	stdout, errs, code := runPare(t, append(append([]string{"compress"}, common...), "--json", "-o", filepath.Join(dir, "c.onnx"))...)
	if code != 0 {
		t.Fatalf("compress: exit %d: %s", code, errs)
	}
	var rep compressResult
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if rep.Recipe.Prune != "skipped" || rep.Recipe.Finetune != "skipped" || len(rep.Skipped) != 2 || rep.Solver != nil || rep.Accuracy["quantized"].Val == nil {
		t.Fatalf("report: %s", stdout)
	}
	if _, errs, code := runPare(t, append(append([]string{"quantize"}, common...), "-o", filepath.Join(dir, "q.onnx"))...); code != 0 {
		t.Fatalf("quantize: exit %d: %s", code, errs)
	}
	graphOf := func(name string) []byte {
		t.Helper()
		m, err := onnx.ReadModelFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m.MetadataProps = nil
		b, err := onnx.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if c, q := graphOf("c.onnx"), graphOf("q.onnx"); !bytes.Equal(c, q) {
		t.Errorf("pare compress without a budget and pare quantize wrote different models (%d and %d bytes, metadata aside)", len(c), len(q))
	}
	// The text report says what ran.
	stdout, errs, code = runPare(t, append(append([]string{"compress"}, common...), "-o", filepath.Join(dir, "c2.onnx"))...)
	if code != 0 || !strings.Contains(stdout, "no budget: quantized only, prune and fine-tune skipped") {
		t.Errorf("exit %d: %s %s", code, stdout, errs)
	}
}

func TestCompressBadRequests(t *testing.T) {
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"compress", demoModel, "--budget", "macs=50%", "-o", "x.onnx"}, 2, "--data"},
		{[]string{"compress", demoModel, "--data", digits, "--epochs", "3", "-o", "x.onnx"}, 2, "without --budget nothing is pruned"},
		{[]string{"compress", demoModel, "--data", digits, "--keep-stages", "-o", "x.onnx"}, 2, "--keep-stages"},
		{[]string{"compress", demoModel, "--data", digits, "--min-keep", "30%", "-o", "x.onnx"}, 2, "--min-keep have nothing to act on"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--min-keep", "2", "-o", "x.onnx"}, 2, "is not a share"},
		{[]string{"compress", demoModel, "--data", digits, "--scale", "15.9375", "--keep-fp", "none", "--layer-bits", "nosuch=3/3", "-o", filepath.Join(t.TempDir(), "x.onnx")}, 1, "the layers are"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%"}, 2, "-o"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "flops=50%", "-o", "x.onnx"}, 2, "want macs, params or memory"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--bits", "9/9", "-o", "x.onnx"}, 2, "2..8"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--bits", "w1a1", "-o", "x.onnx"}, 2, "2..8"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--schedule", "cosine", "-o", "x.onnx"}, 2, "progressive or direct"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--qil-epochs", "0", "-o", "x.onnx"}, 2, "--qil-epochs"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--weight-intervals", "channel", "-o", "x.onnx"}, 2, "--weight-intervals channel"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--layer-bits", "x", "-o", "x.onnx"}, 2, "NAME=W/A"},
		{[]string{"compress", demoModel, "--data", digits, "--scale", "15.9375", "--budget", "macs=50%", "--layer-bits", "nosuch=3/3", "-o", filepath.Join(t.TempDir(), "x.onnx")}, 1, "the layers are"},
		{[]string{"compress", demoModel, "--data", digits, "--scale", "15.9375", "--budget", "params=10", "-o", filepath.Join(t.TempDir(), "x.onnx")}, 1, "params"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "latency=50%", "-o", "x.onnx"}, 2, "pare latency"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "macs=50%", "--latency-model", mnist8Latency(t), "-o", "x.onnx"}, 2, "only read by a latency budget"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "latency=50%", "--latency-model", mnist8Latency(t), "-o", filepath.Join(t.TempDir(), "x.onnx")}, 1, "measured on another network"},
		{[]string{"compress", demoModel, "--data", digits, "--budget", "latency=1us", "--latency-model", syntheticLatency(t, demoModel), "-o", filepath.Join(t.TempDir(), "x.onnx")}, 1, "give at least"},
	} {
		_, errs, code := runPare(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.msg)
		}
	}
}

// syntheticLatency writes a latency model of the model at path whose
// every layer costs a + d*n_in*n_out, a stand-in for a measured one, and
// returns the file's path.
func syntheticLatency(t *testing.T, path string) string {
	t.Helper()
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lm := latencytest.Synthetic(t, m)
	out := filepath.Join(t.TempDir(), "latency.json")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lm.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	return out
}
