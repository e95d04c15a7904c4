package qil

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testmodels"
)

// BenchmarkQILOverhead times training steps of QIL at W4/A4 (joint:
// weights and intervals, the first and last layer in float as by
// default) against plain fine-tuning steps of the same net, batch 64,
// interleaved one for one so that both see the same machine load, and
// reports both throughputs and their ratio (issue 11's goal: the
// quantizers cost at most 1.3x). The nets are the Fashion-MNIST fixtures
// of core/train/testdata; the images are random pixels (the time of a
// step does not depend on them).
//
//	go test ./qil -run '^$' -bench QILOverhead -benchtime 40x
//	GOOS=js GOARCH=wasm go test -exec=$PWD/tools/wasmexec/go_js_wasm_exec ./qil -run '^$' -bench QILOverhead -benchtime 20x
func BenchmarkQILOverhead(b *testing.B) {
	for _, name := range []string{"fashion-dwnet", "fashion-resnet"} {
		b.Run(name, func(b *testing.B) {
			m := testmodels.ReadModel(b, filepath.Join("..", "core", "train", "testdata", name+".onnx"))
			const batch, images = 64, 64 * 64
			r := rand.New(rand.NewPCG(1, 2))
			pix := make([]uint8, images*28*28)
			for i := range pix {
				pix[i] = uint8(r.IntN(256))
			}
			labels := make([]int, images)
			for i := range labels {
				labels[i] = i % 10
			}
			set, err := dataset.New(dataset.Shape{C: 1, H: 28, W: 28}, pix, labels, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})
			if err != nil {
				b.Fatal(err)
			}
			loader := func() *train.Loader {
				return &train.Loader{Set: set, Preprocess: dataset.Preprocess{Scale: 1.0 / 255}, BatchSize: batch, Shuffle: true, Seed: 1}
			}
			ctx := context.Background()
			float, err := floatTrainer(m, loader())
			if err != nil {
				b.Fatal(err)
			}
			run, err := NewRun(ctx, m, loader(), Config{Options: Options{Bits: Bits{4, 4}}, Schedule: "direct", Epochs: 1000})
			if err != nil {
				b.Fatal(err)
			}
			// One step each first: buffers, index maps, tier-up.
			if _, err := float.Step(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := run.Step(ctx); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var tf, tq time.Duration
			for range b.N {
				t0 := time.Now()
				if _, err := float.Step(ctx); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := run.Step(ctx); err != nil {
					b.Fatal(err)
				}
				tf, tq = tf+t1.Sub(t0), tq+time.Since(t1)
			}
			b.ReportMetric(float64(b.N*batch)/tf.Seconds(), "float_img/s")
			b.ReportMetric(float64(b.N*batch)/tq.Seconds(), "qil_img/s")
			b.ReportMetric(tq.Seconds()/tf.Seconds(), "qil/float")
		})
	}
}

// floatTrainer is plain fine-tuning of m as pare finetune steps it: Adam,
// batch statistics.
func floatTrainer(m *onnx.Model, data *train.Loader) (*train.Trainer, error) {
	net, err := train.NewNet(m, train.NetOptions{Seed: 1})
	if err != nil {
		return nil, err
	}
	return train.NewTrainer(net, data, train.Config{Epochs: 1000, Optimizer: "adam", LR: 1e-4})
}
