package main

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

func TestFinetuneTheDemo(t *testing.T) {
	s := openDemo(t)
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

// A fine-tune cancelled after a validation beat the open model returns
// that model, marked cancelled; the open model is untouched.
func TestFinetuneCancelledKeepsTheBestSoFar(t *testing.T) {
	s := openDemo(t)
	// Damage the open model's BatchNormalization statistics the way
	// pruning does, so that the first validations beat it.
	g := s.model.Graph
	for i, init := range g.Initializer {
		name, ok := strings.CutSuffix(init.Name, "running_mean")
		if !ok {
			continue
		}
		mean, err := tensor.FromONNX(init)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range g.Initializer {
			if v.Name == name+"running_var" {
				variance, err := tensor.FromONNX(v)
				if err != nil {
					t.Fatal(err)
				}
				for c := range mean.F32 { // two deviations too high
					mean.F32[c] += 2 * float32(math.Sqrt(float64(variance.F32[c])))
				}
			}
		}
		if g.Initializer[i], err = tensor.ToONNX(mean, init.Name); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	epochs := 0
	reply, err := s.Finetune(ctx, FinetuneRequest{Epochs: 5}, func(p job.Progress) {
		if strings.Contains(p.Message, "epoch 1/5") {
			epochs++
			cancel()
		}
	})
	if err != nil {
		t.Fatalf("cancelled after an epoch: %v", err)
	}
	res := reply.Value.(*FinetuneResult)
	if !res.Cancelled || res.Kept != train.KeptBest || len(res.Epochs) != 1 || res.Best.Accuracy <= res.Initial.Accuracy {
		t.Fatalf("cancelled %v, kept %s, %d epochs, validation %+v -> %+v", res.Cancelled, res.Kept, len(res.Epochs), res.Initial, res.Best)
	}
	if _, err := onnx.Decode(reply.Blob); err != nil {
		t.Fatal(err)
	}
	t.Logf("validation %.1f %% -> %.1f %% when cancelled (%q)", 100*res.Initial.Accuracy, 100*res.Best.Accuracy, res.Events[len(res.Events)-1])
}

func TestFinetuneNeedsModelAndData(t *testing.T) {
	if _, err := (&Service{}).Finetune(context.Background(), FinetuneRequest{}, nil); AsUserError(err).Code != "no-model" {
		t.Fatalf("got %v", err)
	}
}
