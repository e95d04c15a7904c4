package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// sharedAsset returns the path of a file under ../shared/assets, or skips
// the test where that folder is absent (a user's clone).
func sharedAsset(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "assets", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test asset %s is absent (it is present in CI): %v", rel, err)
	}
	return p
}

func runPare(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = mainExit(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestInfoResNet8MACs(t *testing.T) {
	model := sharedAsset(t, "models/resnet8-cifar10.onnx")
	out, errs, code := runPare(t, "info", model, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		MACs            int64             `json:"macs"`
		Params          int64             `json:"params"`
		ActivationBytes int64             `json:"activation_bytes"`
		Layers          []json.RawMessage `json:"layers"`
		Inputs          []ioInfo          `json:"inputs"`
		Outputs         []ioInfo          `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	// MLPerf Tiny's published figure for its ResNet-8.
	if r.MACs != 12501632 {
		t.Errorf("macs = %d, want 12,501,632", r.MACs)
	}
	if r.Params <= 0 || r.ActivationBytes <= 0 || len(r.Layers) == 0 {
		t.Errorf("empty totals or layers: %+v", r)
	}
	if len(r.Inputs) != 1 || len(r.Inputs[0].Shape) != 4 || r.Inputs[0].Shape[0] != 1 {
		t.Errorf("inputs = %+v, want one [1 ...] input", r.Inputs)
	}
	if len(r.Outputs) != 1 || len(r.Outputs[0].Shape) != 2 || r.Outputs[0].Shape[1] != 10 {
		t.Errorf("outputs = %+v, want one [1 10] output", r.Outputs)
	}
	text, _, code := runPare(t, "info", model)
	if code != 0 || !strings.Contains(text, "12,501,632") {
		t.Errorf("text output lacks the MAC total:\n%s", text)
	}
}

func TestEvalMNIST8MatchesOnnxruntime(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	data := sharedAsset(t, "data/mnist")
	out, errs, code := runPare(t, "eval", model, "--data", data, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r evalResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	// onnxruntime classifies 9,891 of the 10,000 t10k images correctly.
	if r.Accuracy != float64(r.Correct)/float64(r.Count) || r.Accuracy > 1 {
		t.Errorf("accuracy %v is not the fraction correct/count (%d/%d)", r.Accuracy, r.Correct, r.Count)
	}
	if r.Count != 10000 || r.Correct != 9891 {
		t.Errorf("count %d correct %d (accuracy %.4f), want 10000 and 9891 (98.91 %%)", r.Count, r.Correct, r.Accuracy)
	}
	sum := 0
	for _, row := range r.Confusion {
		for _, v := range row {
			sum += v
		}
	}
	if sum != r.Count {
		t.Errorf("confusion matrix sums to %d, want %d", sum, r.Count)
	}
}

func TestEvalLimitAndBadData(t *testing.T) {
	model := sharedAsset(t, "models/mnist-8.onnx")
	data := sharedAsset(t, "data/mnist")
	out, _, code := runPare(t, "eval", model, "--data", data, "--limit", "100", "--json")
	if code != 0 {
		t.Fatal("eval --limit failed")
	}
	var r evalResult
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Count != 100 {
		t.Fatalf("count %d err %v, want 100", r.Count, err)
	}
	_, errs, code := runPare(t, "eval", model, "--data", t.TempDir())
	if code != 1 || errs == "" {
		t.Errorf("empty data folder: exit %d, stderr %q; want a clear error", code, errs)
	}
	_, errs, code = runPare(t, "eval", model)
	if code != 2 || !strings.Contains(errs, "--data") {
		t.Errorf("missing --data: exit %d, stderr %q", code, errs)
	}
}

func TestRunWritesPbAndNpy(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "models", "resnet20_cifar.onnx")
	input := filepath.Join("..", "..", "testdata", "models", "resnet20_cifar.input.npy")
	if _, err := os.Stat(model); err != nil {
		t.Skip("fixture absent")
	}
	dir := t.TempDir()
	_, errs, code := runPare(t, "run", model, "-i", "input="+input, "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	entries, _ := os.ReadDir(dir)
	var npy, pb int
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".npy":
			npy++
			f, _ := os.Open(filepath.Join(dir, e.Name()))
			tt, err := tensor.ReadNpy(f)
			f.Close()
			if err != nil || tt.Len() == 0 {
				t.Errorf("%s: %v", e.Name(), err)
			}
		case ".pb":
			pb++
			if _, err := readTensorFile(filepath.Join(dir, e.Name())); err != nil {
				t.Errorf("%s: %v", e.Name(), err)
			}
		}
	}
	if npy == 0 || npy != pb {
		t.Errorf("wrote %d .npy and %d .pb files", npy, pb)
	}
	// A wrong input name is named in the error.
	_, errs, code = runPare(t, "run", model, "-i", "nosuch="+input, "-o", dir)
	if code == 0 || !strings.Contains(errs, "nosuch") {
		t.Errorf("wrong input name: exit %d, stderr %q", code, errs)
	}
}

func TestBenchJSON(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "models", "squeezenet_small.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Skip("fixture absent")
	}
	out, errs, code := runPare(t, "bench", model, "--runs", "3", "--time", "0", "--warmup", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Runs != 3 || r.WarmupRuns != 1 || r.MedianMS <= 0 || r.MinMS > r.MedianMS || r.MedianMS > r.MaxMS {
		t.Errorf("implausible summary %+v", r)
	}
	if r.Stable || !strings.Contains(r.Note, "only 3 timed runs") {
		t.Errorf("3 runs reported as stable: %+v", r)
	}
}

// TestBenchDefaults runs pare bench as a new user does, with no flag: it
// warms up until the time settles and times at least 10 runs over 3 s.
func TestBenchDefaults(t *testing.T) {
	model := filepath.Join("..", "..", "testdata", "models", "squeezenet_small.onnx")
	if _, err := os.Stat(model); err != nil {
		t.Skip("fixture absent")
	}
	out, errs, code := runPare(t, "bench", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "warm-up runs") || !strings.Contains(out, "median") {
		t.Errorf("default output: %q", out)
	}
	out, _, _ = runPare(t, "bench", model, "--json")
	var r benchResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Runs < 10 || r.WarmupRuns < 2 || r.WarmupMS < 300 {
		t.Errorf("defaults timed %d runs after %d warm-up runs (%.0f ms)", r.Runs, r.WarmupRuns, r.WarmupMS)
	}
	if total := float64(r.Runs) * r.MeanMS; total < 2900 && r.Runs > 10 {
		t.Errorf("timed phase shorter than 3 s: %d runs of mean %.3f ms", r.Runs, r.MeanMS)
	}
}

func TestBadModelFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	os.WriteFile(garbage, []byte("this is not a protobuf \xff\xff\xff"), 0o644)
	_, errs, code := runPare(t, "info", garbage)
	if code != 1 || !strings.Contains(errs, "garbage.onnx") {
		t.Errorf("garbage model: exit %d, stderr %q", code, errs)
	}
	_, errs, code = runPare(t, "info", filepath.Join(dir, "missing.onnx"))
	if code != 1 || errs == "" {
		t.Errorf("missing model: exit %d, stderr %q", code, errs)
	}
	if src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", "resnet20_cifar.onnx")); err == nil {
		trunc := filepath.Join(dir, "truncated.onnx")
		os.WriteFile(trunc, src[:len(src)/2], 0o644)
		_, errs, code = runPare(t, "info", trunc)
		if code != 1 || errs == "" {
			t.Errorf("truncated model: exit %d, stderr %q", code, errs)
		}
	}
}

func TestUsage(t *testing.T) {
	if _, _, code := runPare(t); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if _, errs, code := runPare(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: exit %d %q", code, errs)
	}
}

// version once printed to os.Stdout instead of the writer mainExit is
// given, so callers capturing the output (and this test) saw nothing.
func TestVersionWritesToStdout(t *testing.T) {
	out, errs, code := runPare(t, "version")
	if code != 0 || out != versionLine()+"\n" || errs != "" {
		t.Errorf("version: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, out, errs, versionLine())
	}
}

func TestEvalExplainsMissingDataAndConversion(t *testing.T) {
	model := sharedAsset(t, "models/resnet8-cifar10.onnx")
	data := sharedAsset(t, "data/mnist")
	_, errs, code := runPare(t, "eval", model, "--data", filepath.Join(t.TempDir(), "nosuch"))
	if code != 1 || !strings.Contains(errs, "IDX folder") {
		t.Errorf("missing data: exit %d, stderr %q; want advice on the formats", code, errs)
	}
	out, _, code := runPare(t, "eval", model, "--data", data, "--limit", "20", "--json")
	if code != 0 {
		t.Fatalf("eval of MNIST on a CIFAR model failed (exit %d)", code)
	}
	var r evalResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range r.Notes {
		found = found || strings.Contains(n, "1x28x28 but the model takes 3x32x32")
	}
	if !found {
		t.Errorf("no note about converting 1x28x28 images for a 3x32x32 model: %q", r.Notes)
	}
}
