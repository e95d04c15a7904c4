package eval_test

import (
	"context"
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
)

// An evaluation is a job.Stepper: the caller drives it batch by batch and
// can show its Progress (images done, accuracy so far) or stop between
// batches.
func Example() {
	// Four 1x1 gray images: dark ones are class 0, bright ones class 1.
	set, _ := dataset.New(dataset.Shape{C: 1, H: 1, W: 1}, []uint8{10, 240, 20, 30}, []int{0, 1, 0, 1}, []string{"dark", "bright"})
	images := &eval.Images{Set: set, Preprocess: dataset.Preprocess{Channels: 1, Height: 1, Width: 1, Scale: 1.0 / 255}, BatchSize: 2}
	// The classifier: score "bright" by the pixel, "dark" by its complement.
	threshold := func(_ context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
		y := tensor.New(tensor.Float32, []int{x.Shape[0], 2})
		for i, v := range x.F32 {
			y.F32[2*i], y.F32[2*i+1] = 1-v, v
		}
		return y, nil
	}
	ev, _ := eval.New(images, threshold, eval.Options{Classes: set.Classes})
	_ = job.Run(context.Background(), ev, func(p job.Progress) {
		fmt.Printf("%s: %d of %d images, accuracy %.2f\n", p.Stage, p.Done, p.Total, p.Figures["accuracy"])
	})
	r := ev.Result()
	fmt.Println("confusion:", r.Confusion, "per class:", r.PerClass())
	// Output:
	// evaluate: 2 of 4 images, accuracy 1.00
	// evaluate: 4 of 4 images, accuracy 0.75
	// confusion: [[2 0] [1 1]] per class: [1 0.5]
}
