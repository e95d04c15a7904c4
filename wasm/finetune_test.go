package main

import (
	"context"
	"testing"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
)

func TestFinetuneTheDemo(t *testing.T) {
	modelFiles, dataFiles := demoFiles(t)
	s := &Service{}
	if _, err := s.OpenModel("", modelFiles); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenData(dataFiles, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := onnx.Encode(s.model)
	stages := map[string]bool{}
	reply, err := s.Finetune(context.Background(), FinetuneRequest{}, func(p job.Progress) { stages[p.Stage] = true })
	if err != nil {
		t.Fatal(err)
	}
	res := reply.Value.(*FinetuneResult)
	if !stages["probe"] || !stages["validate"] || !stages["train"] {
		t.Errorf("stages reported: %v", stages)
	}
	if res.Initial == nil || res.Best == nil || res.Best.Accuracy < res.Initial.Accuracy || res.ValImages < 90 || res.ValImages > 110 || res.LR <= 0 {
		t.Fatalf("result %+v", res)
	}
	tuned, err := onnx.Decode(reply.Blob)
	if err != nil || len(tuned.Graph.Node) != len(s.model.Graph.Node) {
		t.Fatalf("the tuned model does not decode to the same graph: %v", err)
	}
	if after, _ := onnx.Encode(s.model); string(after) != string(before) {
		t.Error("fine-tuning changed the open model")
	}
	t.Logf("validation %.1f %% -> %.1f %% at lr %.2g, kept %s, %d probe steps, %.1f s", 100*res.Initial.Accuracy, 100*res.Best.Accuracy, res.LR, res.Kept, len(res.Probe), res.Seconds)

	ctx, cancel := context.WithCancel(context.Background())
	_, err = s.Finetune(ctx, FinetuneRequest{}, func(job.Progress) { cancel() })
	if AsUserError(err).Code != "cancelled" {
		t.Errorf("cancelled fine-tune: %v", err)
	}
}

func TestFinetuneNeedsModelAndData(t *testing.T) {
	if _, err := (&Service{}).Finetune(context.Background(), FinetuneRequest{}, nil); AsUserError(err).Code != "no-model" {
		t.Fatalf("got %v", err)
	}
}
