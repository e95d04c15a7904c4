package train

import (
	"context"
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
)

// Fit is what `pare finetune` runs: Prepare turns a model and labelled
// images into a net and its loaders (a tenth held out to validate), and
// the Fit stepper chooses the learning rate, trains, guards against
// divergence and keeps the best validated weights. Distillation, QIL's
// losses or pruning masks plug into the Config (Loss, OnGradients).
func ExampleFit() {
	// 200 noisy 8x8 images whose class is the bright quadrant.
	pix := make([]uint8, 200*64)
	labels := make([]int, 200)
	r := newRNG(1)
	for i := range labels {
		labels[i] = i % 4
		for j := range 64 {
			y, x := j/8, j%8
			v := r.intn(60)
			if (y/4)*2+x/4 == labels[i] {
				v += 180
			}
			pix[i*64+j] = uint8(v)
		}
	}
	set, _ := dataset.New(dataset.Shape{C: 1, H: 8, W: 8}, pix, labels, []string{"tl", "tr", "bl", "br"})
	model := smallCNN(1, 8, 8, 4, 2).m // Conv-BN-ReLU-MaxPool-Gemm-Softmax

	plan, err := Prepare(Setup{Model: model, Train: set, ValFraction: DefaultValFraction, Batch: 16, Seed: 1,
		Preprocess: dataset.Preprocess{Scale: 1.0 / 255}})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := FinetuneDefaults() // Adam, rate from a range test, warm-up and cosine decay
	cfg.Epochs = 3
	fit, err := NewFit(plan.Net, plan.Options(cfg))
	if err != nil {
		fmt.Println(err)
		return
	}
	stages := map[string]bool{}
	if err := job.Run(context.Background(), fit, func(p job.Progress) { stages[p.Stage] = true }); err != nil {
		fmt.Println(err)
		return
	}
	res := fit.Result()
	fmt.Println("stages:", stages["probe"], stages["validate"], stages["train"])
	fmt.Println("rate chosen:", res.LR > 0 && res.LRSource != "given")
	fmt.Println("never worse on validation:", res.Best.Accuracy >= res.Initial.Accuracy)
	fmt.Println("kept:", res.Kept) // the weights are in the net and written back into model
	// Output:
	// stages: true true true
	// rate chosen: true
	// never worse on validation: true
	// kept: best
}
