package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/compress"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// openDemo is a service holding the bundled demo model and its images.
func openDemo(t *testing.T) *Service {
	t.Helper()
	modelFiles, dataFiles := demoFiles(t)
	s := &Service{}
	if _, err := s.OpenModel("", modelFiles); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenData(dataFiles, nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// The page runs the pipeline one stage per request, storing each stage's
// model and report and resuming from them; the file it ends with must be
// the one a single uninterrupted run writes.
func TestCompressStageByStageEqualsOneRun(t *testing.T) {
	s := openDemo(t)
	before, _ := onnx.Encode(s.model)
	base := CompressRequest{Budgets: []PruneRequest{{Resource: "macs", Fraction: 0.5}}, FinetuneEpochs: 1}

	stagesSeen := map[string]bool{}
	var live liveChecker
	s.liveNow = stepClock(liveTick)
	whole, err := s.Compress(context.Background(), base, nil, func(v any) {
		stagesSeen[v.(CompressProgress).Stage] = true
		live.see(t, v.(CompressProgress))
	})
	if err != nil {
		t.Fatal(err)
	}
	res := whole.Value.(*CompressResult)
	if !res.Done || res.Stage != compress.StageEvaluate || len(whole.Blob) == 0 {
		t.Fatalf("one run: %+v, %d bytes", res, len(whole.Blob))
	}
	for _, st := range compress.Stages {
		if !stagesSeen[string(st)] {
			t.Errorf("no progress from stage %s", st)
		}
	}
	live.check(t, res.Report)
	if after, _ := onnx.Encode(s.model); !bytes.Equal(after, before) {
		t.Error("compressing changed the open model")
	}

	var files []File
	var resume *CompressResume
	var last Reply
	for _, st := range compress.Stages {
		req := base
		req.Until, req.Resume = st, resume
		r, err := s.Compress(context.Background(), req, files, nil)
		if err != nil {
			t.Fatalf("stage %s: %v", st, err)
		}
		got := r.Value.(*CompressResult)
		if got.Stage != st || got.Done != (st == compress.StageEvaluate) || len(r.Blob) == 0 {
			t.Fatalf("stage %s: %+v, %d bytes", st, got, len(r.Blob))
		}
		// What the page stores is JSON: go through it as the page does.
		text, err := json.Marshal(got.Report)
		if err != nil {
			t.Fatal(err)
		}
		var rep compress.Report
		if err := json.Unmarshal(text, &rep); err != nil {
			t.Fatal(err)
		}
		files = []File{{Path: string(st) + ".onnx", Bytes: r.Blob}}
		resume = &CompressResume{After: st, Report: &rep}
		last = r
	}
	if !bytes.Equal(last.Blob, whole.Blob) {
		t.Errorf("stage by stage wrote %d bytes that differ from one run's %d", len(last.Blob), len(whole.Blob))
	}
	a, b := last.Value.(*CompressResult).Report.Accuracy, res.Report.Accuracy
	for _, name := range []string{"original", "pruned", "finetuned", "quantized"} {
		if a[name].Val == nil || b[name].Val == nil || *a[name].Val != *b[name].Val {
			t.Errorf("%s accuracy: staged %v, one run %v", name, a[name].Val, b[name].Val)
		}
	}
	if m := res.Report.Resources["macs"]; m.Budget == nil || m.After > *m.Budget {
		t.Errorf("MACs %+v over the budget", m)
	}
	t.Logf("accuracy %.4f -> %.4f, %d bytes", *b["original"].Val, *b["quantized"].Val, len(whole.Blob))
}

func TestCompressRefuses(t *testing.T) {
	if _, err := (&Service{}).Compress(context.Background(), CompressRequest{}, nil, nil); AsUserError(err).Code != "no-model" {
		t.Errorf("no model: %v", err)
	}
	s := openDemo(t)
	macs := []PruneRequest{{Resource: "macs", Fraction: 0.5}}
	for _, tc := range []struct {
		name  string
		req   CompressRequest
		files []File
		code  string
	}{
		{"layer bits name, no budget", CompressRequest{LayerBits: "nosuch=3/3"}, nil, "cannot-compress"},
		{"bad resource", CompressRequest{Budgets: []PruneRequest{{Resource: "flops", Fraction: 0.5}}}, nil, "bad-request"},
		{"zero budget", CompressRequest{Budgets: []PruneRequest{{Resource: "macs"}}}, nil, "bad-budget"},
		{"bits", CompressRequest{Budgets: macs, Bits: "9/4"}, nil, "bad-request"},
		{"stage", CompressRequest{Budgets: macs, Until: "polish"}, nil, "bad-request"},
		{"resume without model", CompressRequest{Budgets: macs, Resume: &CompressResume{After: compress.StagePrune}}, nil, "bad-request"},
		{"resume garbage", CompressRequest{Budgets: macs, Resume: &CompressResume{After: compress.StagePrune}}, []File{{Path: "x.onnx", Bytes: []byte("not a model")}}, "bad-resume"},
		{"storage", CompressRequest{Budgets: macs, Storage: "int2"}, nil, "cannot-compress"},
		{"kept share", CompressRequest{Budgets: macs, MinKeep: share(1.5)}, nil, "bad-min-keep"},
		{"unreachable", CompressRequest{Budgets: []PruneRequest{{Resource: "macs", Value: 10}}}, nil, "unreachable-budget"},
		{"schedule", CompressRequest{Budgets: macs, Schedule: "cosine"}, nil, "bad-request"},
		{"QIL epochs", CompressRequest{Budgets: macs, QILEpochs: 99}, nil, "bad-request"},
		{"layer bits syntax", CompressRequest{Budgets: macs, LayerBits: "conv"}, nil, "bad-layer-bits"},
		{"layer bits name", CompressRequest{Budgets: macs, LayerBits: "nosuch=3/3"}, nil, "cannot-compress"},
	} {
		_, err := s.Compress(context.Background(), tc.req, tc.files, nil)
		if ue := AsUserError(err); ue.Code != tc.code {
			t.Errorf("%s: got %v (%s), want code %s", tc.name, err, ue.Code, tc.code)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Compress(ctx, CompressRequest{Budgets: macs}, nil, func(any) { cancel() })
	if AsUserError(err).Code != "cancelled" {
		t.Errorf("cancelled: %v", err)
	}
}

func TestInputsAreWhatEvaluateFeeds(t *testing.T) {
	s := openDemo(t)
	r, err := s.Inputs(3, 7)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Value.(*InputBatch)
	if len(b.Shape) != 4 || b.Shape[0] != 4 || len(b.Labels) != 4 || len(r.Blob) != 4*b.Shape[0]*b.Shape[1]*b.Shape[2]*b.Shape[3] {
		t.Fatalf("batch %+v with %d bytes", b, len(r.Blob))
	}
	p, err := s.Evaluate(context.Background(), 3, 7, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The tensor decoded from the bytes, run by the executor, predicts
	// what Evaluate predicted.
	x := &tensor.Tensor{DType: tensor.Float32, Shape: b.Shape, F32: make([]float32, len(r.Blob)/4)}
	for i := range x.F32 {
		x.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(r.Blob[4*i:]))
	}
	out, err := s.session.Run(map[string]*tensor.Tensor{b.Name: x})
	if err != nil {
		t.Fatal(err)
	}
	y := out[s.model.Graph.Output[0].Name]
	k := y.Shape[1]
	for i := range b.Labels {
		row := y.F32[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if b.Labels[i] != p.Labels[i] || best != p.Pred[i] {
			t.Errorf("image %d: label %d, predicted %d from the bytes; evaluate says label %d, predicted %d", i, b.Labels[i], best, p.Labels[i], p.Pred[i])
		}
	}
	for _, bad := range [][2]int{{-1, 2}, {5, 5}, {0, 1 << 20}} {
		if _, err := s.Inputs(bad[0], bad[1]); AsUserError(err).Code != "bad-request" {
			t.Errorf("range %v: %v", bad, err)
		}
	}
}

// TestCompressQILChoices: the page's QIL choices (direct schedule,
// quantizer-only, a layer at other bits, every layer quantized) reach the
// quantize stage and its report, as pare compress's flags do.
func TestCompressQILChoices(t *testing.T) {
	s := openDemo(t)
	var convs []string
	for _, n := range s.model.Graph.Node {
		if n.OpType == "Conv" {
			convs = append(convs, n.Name)
		}
	}
	if len(convs) < 2 {
		t.Fatalf("the demo has %d Convs", len(convs))
	}
	req := CompressRequest{Budgets: []PruneRequest{{Resource: "macs", Fraction: 0.5}}, FinetuneEpochs: 1,
		Schedule: "direct", QuantizerOnly: true, LayerBits: convs[1] + "=3/3", KeepFP: "none", Until: compress.StageQuantize}
	r, err := s.Compress(context.Background(), req, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := r.Value.(*CompressResult).Report
	if rep.Recipe.Schedule != "direct" || !rep.Recipe.QuantizerOnly || len(rep.Recipe.KeepFP) != 0 || rep.Quantize == nil {
		t.Fatalf("recipe %+v", rep.Recipe)
	}
	if len(rep.Quantize.Stages) != 1 || !strings.Contains(rep.Quantize.Recipe, "quantizer only") {
		t.Fatalf("quantize report: %d stages, recipe %q", len(rep.Quantize.Stages), rep.Quantize.Recipe)
	}
	for _, l := range rep.Quantize.Layers {
		want := "w4a4"
		if l.Node == convs[1] {
			want = "w3a3"
		}
		if l.Bits != want {
			t.Errorf("layer %s: %s, want %s", l.Node, l.Bits, want)
		}
	}
}

// TestCompressQuantizeOnly: a request without a budget quantizes only;
// run one stage per request as the page does (each reply's model and
// report stored as JSON and given back), the prune and fine-tune stages
// end at once as skipped, passing the open model on, and the file is one
// uninterrupted run's. The live feed shows QIL's layers, those kept in
// float too, and no masks.
func TestCompressQuantizeOnly(t *testing.T) {
	s := openDemo(t)
	original, _ := onnx.Encode(s.model)
	var whole Reply
	var layers int
	var err error
	whole, err = s.Compress(context.Background(), CompressRequest{}, nil, func(v any) {
		p := v.(CompressProgress)
		if l := p.Live; l != nil {
			if l.Masks != nil || l.Point != nil && p.Stage != string(compress.StageQuantize) {
				t.Fatalf("%s %s: masks or a trained batch outside QIL: %+v", p.Stage, p.Doing, *l)
			}
			if len(l.Layers) > 0 {
				layers = len(l.Layers)
				if !l.Layers[0].Float || !l.Layers[len(l.Layers)-1].Float || l.Layers[1].Float || l.Layers[1].Weight == nil {
					t.Fatalf("layers %+v: want the first and last kept in float", l.Layers)
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := whole.Value.(*CompressResult).Report
	if !slices.Equal(rep.Skipped, []compress.Stage{compress.StagePrune, compress.StageFinetune}) || rep.Recipe.Prune != "skipped" || rep.Solver != nil || layers == 0 {
		t.Fatalf("report: skipped %v, recipe %+v, solver %+v; %d layers shown", rep.Skipped, rep.Recipe, rep.Solver, layers)
	}
	var files []File
	var resume *CompressResume
	var last Reply
	for _, st := range compress.Stages {
		r, err := s.Compress(context.Background(), CompressRequest{Until: st, Resume: resume}, files, nil)
		if err != nil {
			t.Fatalf("stage %s: %v", st, err)
		}
		got := r.Value.(*CompressResult)
		text, err := json.Marshal(got.Report)
		if err != nil {
			t.Fatal(err)
		}
		var stored compress.Report
		if err := json.Unmarshal(text, &stored); err != nil {
			t.Fatal(err)
		}
		switch st {
		case compress.StagePrune, compress.StageFinetune:
			if !bytes.Equal(r.Blob, original) || !slices.Contains(stored.Skipped, st) {
				t.Fatalf("stage %s: skipped %v, %d bytes (the open model has %d, or they differ)", st, stored.Skipped, len(r.Blob), len(original))
			}
		}
		// Each request's report times the stage it ran (the page adds
		// them up for its "compressing" time).
		if stored.Seconds[st] <= 0 {
			t.Errorf("stage %s: the report gives it %v s", st, stored.Seconds[st])
		}
		files = []File{{Path: string(st) + ".onnx", Bytes: r.Blob}}
		resume = &CompressResume{After: st, Report: &stored}
		last = r
	}
	if !bytes.Equal(last.Blob, whole.Blob) {
		t.Errorf("stage by stage wrote %d bytes that differ from one run's %d", len(last.Blob), len(whole.Blob))
	}
	a := last.Value.(*CompressResult).Report.Accuracy
	if a["original"].Val == nil || a["quantized"].Val == nil || *a["quantized"].Val != *rep.Accuracy["quantized"].Val {
		t.Errorf("accuracy staged %+v, one run %+v", a, rep.Accuracy)
	}
	t.Logf("quantize only: accuracy %.4f -> %.4f, %d -> %d bytes", *a["original"].Val, *a["quantized"].Val, len(original), len(whole.Blob))
}
