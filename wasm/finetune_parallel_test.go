package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/pare-ml/pare/compress"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/paralleltest"
)

// TestFinetuneShardMatchesFinetune runs the demo's fine-tune as two
// in-process workers (a LocalGroup in place of the page's exchange) and
// checks that both send the same model, within float rounding of the
// one-worker Finetune's, with the same validation figures.
func TestFinetuneShardMatchesFinetune(t *testing.T) {
	one, err := openDemo(t).Finetune(context.Background(), FinetuneRequest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 2
	group := train.NewLocalGroup(workers)
	shardReducer = func(run int) (train.Reducer, func()) {
		rank := run // the test gives each worker its rank as its run id
		return group.Member(rank), func() {}
	}
	defer func() { shardReducer = nil }()
	replies := make([]Reply, workers)
	services := make([]*Service, workers) // opened here: openDemo may end the test
	for k := range services {
		services[k] = openDemo(t)
	}
	paralleltest.Run(t, workers, group.Abort, func(k int) (err error) {
		replies[k], err = services[k].FinetuneShard(context.Background(), FinetuneShardRequest{Run: k, Rank: k, Workers: workers}, func(job.Progress) {})
		return err
	})
	if !bytes.Equal(replies[0].Blob, replies[1].Blob) {
		t.Fatal("the two workers sent different models")
	}
	want, got := one.Value.(*FinetuneResult), replies[0].Value.(*FinetuneResult)
	if want.ValImages != got.ValImages || want.TrainImages != got.TrainImages || want.Kept != got.Kept || math.Abs(want.LR-got.LR) > 1e-9*want.LR {
		t.Fatalf("one worker: %d/%d images, kept %s at lr %g; two: %d/%d, kept %s at lr %g",
			want.TrainImages, want.ValImages, want.Kept, want.LR, got.TrainImages, got.ValImages, got.Kept, got.LR)
	}
	if math.Abs(want.Best.Accuracy-got.Best.Accuracy) > 1e-9 {
		t.Fatalf("best validation accuracy %.4f with one worker, %.4f with two", want.Best.Accuracy, got.Best.Accuracy)
	}
	d := maxWeightDiff(t, one.Blob, replies[0].Blob)
	t.Logf("kept %s at lr %.3g, validation %.2f %%; weights within %.2g of one worker's", got.Kept, got.LR, 100*got.Best.Accuracy, d)
	if d > 1e-5 {
		t.Fatalf("the weights differ from the one-worker model's by %.3g (relative to the largest)", d)
	}
}

// maxWeightDiff is paralleltest.WeightDiff of two encodings.
func maxWeightDiff(t *testing.T, a, b []byte) float64 {
	t.Helper()
	ma, err := onnx.Decode(bytes.Clone(a))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := onnx.Decode(bytes.Clone(b))
	if err != nil {
		t.Fatal(err)
	}
	return paralleltest.WeightDiff(ma, mb)
}

// The Compress tab's fine-tune stage as two in-process workers ends, on
// both, with the one-worker stage's model to float rounding.
func TestCompressFinetuneShards(t *testing.T) {
	req, files := resumeFromPruned(t, CompressRequest{Budgets: []PruneRequest{{Resource: "macs", Fraction: 0.5}}, FinetuneEpochs: 1},
		compress.StagePrune, compress.StageFinetune)
	one, err := openDemo(t).Compress(context.Background(), resumed(t, req), files, nil)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 2
	replies := compressShards(t, workers, req, files)
	if !bytes.Equal(replies[0].Blob, replies[1].Blob) {
		t.Fatal("the two workers sent different models")
	}
	if d := maxWeightDiff(t, one.Blob, replies[0].Blob); d > 1e-5 {
		t.Fatalf("the weights differ from the one-worker model's by %.3g (relative to the largest)", d)
	}
	bad := req
	bad.Until, bad.Run, bad.Rank, bad.Workers = compress.StageEvaluate, 0, 0, 2
	if _, err := openDemo(t).Compress(context.Background(), bad, files, nil); AsUserError(err).Code != "bad-request" {
		t.Errorf("a data-parallel request past the fine-tune: %v", err)
	}
}

// The Compress tab's quantize stage as two in-process workers, resumed
// after the fine-tune: both send the same exported file, with the
// one-worker stage's scales to float rounding.
func TestCompressQuantizeShards(t *testing.T) {
	// The pruned model stands for the fine-tuned one: QIL trains what it
	// is given.
	req, files := resumeFromPruned(t, CompressRequest{Budgets: []PruneRequest{{Resource: "macs", Fraction: 0.5}}},
		compress.StageFinetune, compress.StageQuantize)
	one, err := openDemo(t).Compress(context.Background(), resumed(t, req), files, nil)
	if err != nil {
		t.Fatal(err)
	}
	const workers = 2
	replies := compressShards(t, workers, req, files)
	if !bytes.Equal(replies[0].Blob, replies[1].Blob) {
		t.Fatal("the two workers sent different files")
	}
	want, got := one.Value.(*CompressResult).Report.Quantize, replies[0].Value.(*CompressResult).Report.Quantize
	if want.Workers != 1 || got.Workers != workers || len(got.Stages) != len(want.Stages) {
		t.Fatalf("one worker: %+v; two: %+v", want, got)
	}
	d := maxWeightDiff(t, one.Blob, replies[0].Blob)
	t.Logf("%d QIL stages; exported scales within %.2g of one worker's", len(got.Stages), d)
	if d > 1e-4 {
		t.Fatalf("the exported scales differ from the one-worker file's by %.3g (relative to the largest)", d)
	}
	for _, bad := range []CompressRequest{
		{Until: compress.StageQuantize, Resume: &CompressResume{After: compress.StagePrune}},
		{Until: compress.StageFinetune, Resume: &CompressResume{After: compress.StageFinetune}},
	} {
		bad.Budgets, bad.Workers = req.Budgets, 2
		if _, err := openDemo(t).Compress(context.Background(), bad, files, nil); AsUserError(err).Code != "bad-request" {
			t.Errorf("a data-parallel request until %s after %s: %v", bad.Until, bad.Resume.After, err)
		}
	}
}

// resumed is req with a copy of its resumed report, as each of the page's
// workers decodes its own: the pipeline adds to the report it resumes.
func resumed(t *testing.T, req CompressRequest) CompressRequest {
	b, err := json.Marshal(req.Resume)
	if err != nil {
		t.Error(err)
		return req
	}
	req.Resume = nil
	if err := json.Unmarshal(b, &req.Resume); err != nil {
		t.Error(err)
	}
	return req
}

// compressShards sends req to workers in-process services as the ranks
// of one data-parallel run (a LocalGroup in place of the page's
// exchange) and returns their replies.
func compressShards(t *testing.T, workers int, req CompressRequest, files []File) []Reply {
	t.Helper()
	group := train.NewLocalGroup(workers)
	shardReducer = func(run int) (train.Reducer, func()) { return group.Member(run), func() {} }
	defer func() { shardReducer = nil }()
	replies := make([]Reply, workers)
	services := make([]*Service, workers)
	for k := range services {
		services[k] = openDemo(t)
	}
	paralleltest.Run(t, workers, group.Abort, func(k int) (err error) {
		r := resumed(t, req)
		r.Run, r.Rank, r.Workers = k, k, workers // the test's run id is the rank
		replies[k], err = services[k].Compress(context.Background(), r, files, nil)
		return err
	})
	return replies
}

// resumeFromPruned runs base's prune stage on the demo and returns base as
// a request that resumes from the pruned model, as if stage after had just
// finished, and runs until until, with the file it resumes from.
func resumeFromPruned(t *testing.T, base CompressRequest, after, until compress.Stage) (CompressRequest, []File) {
	t.Helper()
	req := base
	req.Until = compress.StagePrune
	pruned, err := openDemo(t).Compress(context.Background(), req, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Until = until
	req.Resume = &CompressResume{After: after, Report: pruned.Value.(*CompressResult).Report}
	return req, []File{{Path: string(after) + ".onnx", Bytes: pruned.Blob}}
}
