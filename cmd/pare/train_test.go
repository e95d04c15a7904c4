package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demoModel is Pare's demo model (core/train/testdata), 28x28 gray input.
const demoModel = "../../core/train/testdata/demo-resnet-mnist.onnx"

// TestInitTrainFinetune re-initialises the demo model, trains it on the
// scikit-learn digits (resized to 28x28 by the preprocessing) and
// fine-tunes the result, through the commands' JSON reports.
func TestInitTrainFinetune(t *testing.T) {
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	dir := t.TempDir()
	initPath := filepath.Join(dir, "init.onnx")
	if out, errs, code := runPare(t, "init", demoModel, "--seed", "3", "-o", initPath); code != 0 {
		t.Fatalf("init: exit %d: %s %s", code, out, errs)
	}
	trained := filepath.Join(dir, "trained.onnx")
	// Digits pixels run 0..16; the model expects 0..255.
	out, errs, code := runPare(t, "train", initPath, "--data", digits, "--val-split", "0.2", "--epochs", "3",
		"--batch", "32", "--lr", "0.05", "--warmup", "10", "--scale", "15.9375", "--json", "-o", trained)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	var rep trainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("train --json: %v\n%s", err, out)
	}
	if len(rep.Epochs) != 3 || rep.TrainImages+rep.ValImages != 1797 || rep.MemoryBytes <= 0 || rep.Params != 12386 {
		t.Fatalf("report: %+v", rep)
	}
	last := rep.Epochs[2]
	if last.ValAcc == nil || *last.ValAcc < 0.8 || rep.BestValAcc == nil || *rep.BestValAcc < *last.ValAcc {
		t.Fatalf("validation accuracy after 3 epochs on digits: %v (best %v), want >= 0.8", last.ValAcc, rep.BestValAcc)
	}
	trainBest := rep.BestValAcc
	tuned := filepath.Join(dir, "tuned.onnx")
	out, errs, code = runPare(t, "finetune", trained, "--data", digits, "--val-split", "0.2", "--lr", "0.01",
		"--batch", "32", "--scale", "15.9375", "--json", "-o", tuned)
	if code != 0 {
		t.Fatalf("finetune: exit %d: %s", code, errs)
	}
	rep = trainReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// train wrote its best validated weights.
	if rep.InitialValAcc == nil || *rep.InitialValAcc != *trainBest {
		t.Fatalf("finetune's starting accuracy %v differs from the accuracy of train's kept weights %v (same split and seed)", rep.InitialValAcc, *trainBest)
	}
	if out, errs, code := runPare(t, "eval", tuned, "--data", digits, "--scale", "15.9375"); code != 0 || !strings.Contains(out, "accuracy") {
		t.Fatalf("eval of the fine-tuned model: exit %d: %s %s", code, out, errs)
	}
}

func TestTrainUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"train", demoModel, "-o", "x.onnx"},                            // no --data
		{"finetune", demoModel, "--data", "d"},                          // no -o
		{"train", demoModel, "--data", "d", "-o", "x", "--epochs", "0"}, // bad epochs
		{"init", demoModel},                                             // no -o
		{"train", demoModel, "--data", "d", "-o", "x", "--val-split", "1"},
	} {
		if _, _, code := runPare(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
	_, errs, code := runPare(t, "train", demoModel, "--data", "d", "-o", "x", "--freeze", "nosuch")
	if code != 2 || !strings.Contains(errs, "parameters are") {
		t.Errorf("--freeze of an unknown name: exit %d, %q", code, errs)
	}
}

// TestFinetuneDefaultsAndTheGuard fine-tunes the demo model on the digits
// with no flag but the data, the output and the pixel scale, then with an
// absurd learning rate: the first must not lower validation accuracy, the
// second must end with the original weights and say so.
func TestFinetuneDefaultsAndTheGuard(t *testing.T) {
	digits := sharedAsset(t, "data/digits/digits.csv.gz")
	dir := t.TempDir()
	tuned := filepath.Join(dir, "tuned.onnx")
	out, errs, code := runPare(t, "finetune", demoModel, "--data", digits, "--scale", "15.9375", "--json", "-o", tuned)
	if code != 0 {
		t.Fatalf("finetune: exit %d: %s", code, errs)
	}
	var rep trainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.InitialValAcc == nil || rep.BestValAcc == nil || *rep.BestValAcc < *rep.InitialValAcc || rep.LR <= 0 || rep.LRSource == "given" || rep.Optimizer != "adam" {
		t.Fatalf("defaults: %+v", rep)
	}
	if rep.ValImages < 170 || rep.ValImages > 190 {
		t.Errorf("%d validation images, want the default tenth of 1797", rep.ValImages)
	}
	t.Logf("validation %.2f %% -> %.2f %% at lr %.2g (kept %s)", 100**rep.InitialValAcc, 100**rep.BestValAcc, rep.LR, rep.Kept)

	diverged := filepath.Join(dir, "diverged.onnx")
	out, errs, code = runPare(t, "finetune", demoModel, "--data", digits, "--scale", "15.9375", "--optimizer", "sgd", "--lr", "1e6", "-o", diverged)
	if code != 0 {
		t.Fatalf("finetune --lr 1e6: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "training diverged") || !strings.Contains(out, "keeps its original weights") || !strings.Contains(out, "wrote "+diverged+" (original weights") {
		t.Fatalf("the guard's message is missing:\n%s", out)
	}
	orig, _ := os.ReadFile(demoModel)
	got, _ := os.ReadFile(diverged)
	if !bytes.Equal(orig, got) {
		t.Errorf("the diverged run wrote %d bytes that differ from the original's %d", len(got), len(orig))
	}
}
