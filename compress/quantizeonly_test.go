package compress

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/ortcheck"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// A run without a budget quantizes only: prune and fine-tune are skipped
// (they still end, passing the original model on), QIL runs with its own
// defaults on the original model, and the exported file is what QIL alone
// makes of it; resuming after the skipped prune stage gives the same
// bytes.
func TestPipelineQuantizeOnly(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Budgets = nil
	cfg.NoDistill = true // nothing is fine-tuned, so this changes nothing
	var stages, finished []string
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = job.Run(context.Background(), p, func(pr job.Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != pr.Stage {
			stages = append(stages, pr.Stage)
		}
		if pr.Figures["stage_done"] == 1 {
			finished = append(finished, string(p.Finished()))
		}
		if w := p.Watch(); w.Selection != nil || w.Train != nil && pr.Stage != string(StageQuantize) {
			t.Fatalf("%s %s: a selection or a trained batch outside QIL", pr.Stage, p.Doing())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"prune", "finetune", "quantize", "evaluate"}
	if !slices.Equal(stages, all) || !slices.Equal(finished, all) {
		t.Errorf("stages %v, finished %v; want %v for both", stages, finished, all)
	}
	rep := p.Report()
	if !slices.Equal(rep.Skipped, []Stage{StagePrune, StageFinetune}) || rep.Recipe.Prune != "skipped" || rep.Recipe.Finetune != "skipped" || len(rep.Recipe.Budgets) != 0 {
		t.Errorf("skipped %v, recipe %+v", rep.Skipped, rep.Recipe)
	}
	if rep.Solver != nil || rep.Finetune != nil || rep.Quantize == nil || len(rep.Quantize.Stages) != 3 {
		t.Errorf("report: solver %+v, finetune %+v, quantize %+v", rep.Solver, rep.Finetune, rep.Quantize)
	}
	for _, name := range []string{"original", "quantized"} {
		if a := rep.Accuracy[name]; a.Val == nil || a.Test == nil {
			t.Errorf("%s accuracy missing: %+v", name, a)
		}
	}
	for _, name := range []string{"pruned", "finetuned"} {
		if _, ok := rep.Accuracy[name]; ok {
			t.Errorf("an accuracy for the %s model, which was never made", name)
		}
	}
	// Nothing pruned: the pruned figures are the original's, and the QDQ
	// file computes the same MACs.
	if m := rep.Resources[qcqp.MACs]; m.Pruned != m.Before || m.After != m.Before || m.Budget != nil {
		t.Errorf("MACs %+v", m)
	}
	if p.Model("pruned") != cfg.Model || p.Model("finetuned") != cfg.Model {
		t.Error("the skipped stages' models are not the original")
	}
	out := p.Output()
	m, err := onnx.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	for _, e := range m.MetadataProps {
		meta[e.Key] = e.Value
	}
	if _, ok := meta[qcqp.MetadataKey]; ok || !strings.Contains(meta["pare.quantization"], "pruning=none (no budget)") {
		t.Errorf("metadata %q", meta)
	}
	a := rep.Accuracy
	t.Logf("quantize only: val %.4f -> %.4f, test %.4f -> %.4f, %d -> %d bytes", *a["original"].Val, *a["quantized"].Val, *a["original"].Test, *a["quantized"].Test, rep.Bytes["original"], len(out))
	if *a["quantized"].Test < *a["original"].Test-0.05 {
		t.Errorf("4-bit QIL lost more than 5 points: test %.4f -> %.4f", *a["original"].Test, *a["quantized"].Test)
	}
	checkLevelFlips(t, out, &train.Loader{Set: cfg.Test, Indices: cfg.TestIndices, Preprocess: dataset.DefaultPreprocess([]int{64, 1, 28, 28}), BatchSize: 64})

	// QIL alone on the original model, with its defaults and the
	// pipeline's training images: the same graph and weights.
	loader := &train.Loader{Set: cfg.Train, Indices: cfg.TrainIndices, Preprocess: dataset.DefaultPreprocess([]int{64, 1, 28, 28}), BatchSize: 64, Shuffle: true, Seed: 1, DropLast: true}
	run, err := qil.NewRun(context.Background(), cfg.Model, loader, qil.Config{Options: qil.Options{Bits: qil.Bits{W: 4, A: 4}}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Run(context.Background(), run, nil); err != nil {
		t.Fatal(err)
	}
	qm, err := run.Model()
	if err != nil {
		t.Fatal(err)
	}
	alone, err := qil.Export(qm, qil.StorageInt8, "")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := withoutMetadata(t, alone), withoutMetadata(t, m); !slices.Equal(a, b) {
		t.Errorf("QIL alone wrote %d bytes that differ from the pipeline's %d (metadata aside)", len(a), len(b))
	}

	// The page's way: the prune stage's result and report stored (as
	// JSON), then the rest resumed from them.
	text, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var stored Report
	if err := json.Unmarshal(text, &stored); err != nil {
		t.Fatal(err)
	}
	stored.Skipped = []Stage{StagePrune} // as it was when prune ended
	cfg.Resume = &Resume{After: StagePrune, Model: p.Model("pruned"), Report: &stored}
	again, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Output(), out) {
		t.Error("resumed after the skipped prune stage, the pipeline wrote another file")
	}
	if r := again.Report(); !slices.Equal(r.Skipped, rep.Skipped) || *r.Accuracy["quantized"].Val != *a["quantized"].Val {
		t.Errorf("resumed: skipped %v, accuracy %v", r.Skipped, r.Accuracy["quantized"])
	}
}

// checkLevelFlips runs the exported file in onnxruntime-node on one batch:
// the same class for every image, and the logits within
// ortcheck.Tolerance on all images but one or two, where a value within
// float rounding of a quantizer's decision boundary lands on the
// neighbouring level in the other runtime's summation order
// (ortcheck.Result.Beyond).
func checkLevelFlips(t *testing.T, out []byte, data *train.Loader) {
	t.Helper()
	r, ok := compareWithOnnxruntime(t, out, data)
	if !ok {
		return
	}
	t.Logf("onnxruntime: max |pare - ort| = %.3g over a logit range of %.3g; %d of %d images beyond %g of the range", r.MaxAbsDiff, r.LogitRange, r.Beyond, r.Images, ortcheck.Tolerance)
	if r.Beyond > 2 {
		t.Errorf("%d images with logits beyond the tolerance: more than level flips", r.Beyond)
	}
}

func withoutMetadata(t *testing.T, m *onnx.Model) []byte {
	t.Helper()
	c := *m
	c.MetadataProps = nil
	b, err := onnx.Encode(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// With nothing to prune and every layer kept in float there is nothing to
// do: refused before any work, saying so.
func TestQuantizeOnlyRefusesNothingToDo(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Budgets = nil
	var all []string
	for _, n := range cfg.Model.Graph.Node {
		if n.OpType == "Conv" || n.OpType == "Gemm" || n.OpType == "MatMul" {
			all = append(all, n.Name)
		}
	}
	cfg.Quantize.KeepFP = all
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), "kept in full precision") || !strings.Contains(err.Error(), "nothing to do") {
		t.Fatalf("every layer in float and no budget: %v", err)
	}
}
