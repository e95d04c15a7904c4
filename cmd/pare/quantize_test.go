package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuantize quantizes the demo model (residual, BatchNorm) on a few
// digits with QIL (per-channel weight intervals on every layer) and with
// the PTQ baseline, through the JSON report, and evaluates the written QDQ
// files.
func TestQuantize(t *testing.T) {
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	dir := t.TempDir()
	for _, method := range []string{"qil", "ptq"} {
		out := filepath.Join(dir, method+".onnx")
		args := []string{"quantize", demoModel, "--data", digits, "--scale", "15.9375", "--limit", "128", "--batch", "32",
			"--calibration", "32", "--schedule", "direct", "--method", method, "--bits", "w4a4", "--json", "-o", out}
		if method == "qil" {
			args = append(args, "--weight-intervals", "per-channel")
		}
		stdout, errs, code := runPare(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", method, code, errs)
		}
		var rep quantizeReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%s --json: %v\n%s", method, err, stdout)
		}
		quantized := 0
		for _, l := range rep.Layers {
			if l.Bits == "w4a4" {
				quantized++
				if l.Op == "Conv" && !l.PerChannelWeights {
					t.Errorf("%s: %s has one weight interval for the layer", method, l.Node)
				}
			}
		}
		if method == "qil" && !strings.Contains(rep.Recipe, "weight intervals per-channel, activation intervals stage") {
			t.Errorf("recipe %q does not name the weight and activation intervals", rep.Recipe)
		}
		if len(rep.Layers) < 3 || quantized != len(rep.Layers)-2 || rep.OutputBytes <= 0 || !strings.Contains(rep.Recipe, "w4a4") {
			t.Fatalf("%s report: %+v", method, rep)
		}
		if o, e, code := runPare(t, "eval", out, "--data", digits, "--scale", "15.9375", "--limit", "200"); code != 0 || !strings.Contains(o, "accuracy") {
			t.Fatalf("eval of the %s model: exit %d: %s %s", method, code, o, e)
		}
	}
}

// TestQuantizeOnAnotherTasksImages: quantizer-only QIL of the MNIST demo
// model on Fashion-MNIST images (labels 0..9 that mean other things)
// learns from the float model's outputs, says so, and reports it; the
// validation is on the model's own digits.
func TestQuantizeOnAnotherTasksImages(t *testing.T) {
	fashion := sharedAsset(t, "data/fashion-mnist")
	mnist := sharedAsset(t, "data/mnist")
	out := filepath.Join(t.TempDir(), "q.onnx")
	stdout, errs, code := runPare(t, "quantize", demoModel, "--data", fashion, "--val", mnist, "--limit", "128", "--batch", "32",
		"--calibration", "64", "--schedule", "direct", "--quantizer-only", "--json", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep quantizeReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if !rep.TeacherTargets || !strings.Contains(strings.Join(rep.Notes, " "), "another task") || !strings.Contains(rep.Recipe, "float model's outputs") {
		t.Fatalf("report: teacher_targets %v, notes %q, recipe %q", rep.TeacherTargets, rep.Notes, rep.Recipe)
	}
	if rep.ValAcc == nil || rep.FloatValAcc == nil || *rep.ValAcc < *rep.FloatValAcc-0.05 {
		t.Fatalf("validation on the digits: %v quantized, %v float", rep.ValAcc, rep.FloatValAcc)
	}
}

func TestQuantizeBadRequests(t *testing.T) {
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"quantize", demoModel, "-o", "x.onnx"}, 2, "--data"},
		{[]string{"quantize", demoModel, "--data", digits}, 2, "-o"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--bits", "9/9"}, 2, "2..8"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--bits", "1"}, 2, "2..8"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--bits", "four"}, 2, "W/A"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--method", "lsq"}, 2, "qil or ptq"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--storage", "fp8"}, 2, "int8 or int4"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--keep-fp", "nosuch"}, 1, "not a quantizable layer"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--layer-bits", "nosuch=3/3"}, 1, "the layers are"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--teacher-targets"}, 2, "--quantizer-only"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--weight-intervals", "per-output"}, 2, "depthwise, per-channel, per-layer"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--method", "ptq", "--weight-intervals", "per-layer"}, 2, "always scales each output channel"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--act-init", "last"}, 2, "first, target, stage"},
		{[]string{"quantize", demoModel, "--data", digits, "-o", "x", "--method", "ptq", "--act-init", "first"}, 2, "calibrates every activation once"},
	} {
		_, errs, code := runPare(t, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q; want exit %d mentioning %q", c.args[2:], code, errs, c.code, c.msg)
		}
	}
}

// TestQuantizeOneSplitFolder: MNIST's t10k folder (the only MNIST a user
// may have) is used as it is when --split is not given, as pare finetune
// does, and refused with the reason when --split names a split it lacks.
func TestQuantizeOneSplitFolder(t *testing.T) {
	mnist := sharedAsset(t, "data/mnist")
	model := sharedAsset(t, "models/mnist-8.onnx")
	out := filepath.Join(t.TempDir(), "q.onnx")
	o, e, code := runPare(t, "quantize", model, "--data", mnist, "--limit", "64", "--calibration", "32", "--schedule", "direct", "--epochs", "1", "-o", out)
	if code != 0 || !strings.Contains(o+e, "holds no train split") {
		t.Fatalf("exit %d, want a note that the test split is used:\n%s\n%s", code, o, e)
	}
	_, e, code = runPare(t, "quantize", model, "--data", mnist, "--split", "train", "--limit", "64", "-o", out)
	if code == 0 || !strings.Contains(e, "train") {
		t.Fatalf("--split train on a test-only folder: exit %d: %s", code, e)
	}
}
