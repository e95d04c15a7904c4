package train

import (
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/tensor"
)

// Taps zeroed before fine-tuning (kernel-shape pruning) stay exactly zero
// through Adam with KeepZeroTaps, while the other weights train; without
// it they come back.
func TestKeepZeroTapsHoldsRemovedTaps(t *testing.T) {
	for _, keep := range []bool{true, false} {
		b := smallCNN(1, 8, 8, 4, 41)
		// Zero taps 0, 4 and 8 of every filter of the first conv (w1 is
		// 8 x 1 x 3 x 3), in the model's own initializer.
		for i, init := range b.m.Graph.Initializer {
			if init.Name != "w1" {
				continue
			}
			w, err := tensor.FromONNX(init)
			if err != nil {
				t.Fatal(err)
			}
			for f := range 8 {
				for _, tap := range []int{0, 4, 8} {
					w.F32[f*9+tap] = 0
				}
			}
			if b.m.Graph.Initializer[i], err = tensor.ToONNX(w, "w1"); err != nil {
				t.Fatal(err)
			}
		}
		plan, err := Prepare(Setup{Model: b.m, Train: quadrantSet(t, 128, 42), Batch: 16, Seed: 1,
			Preprocess: dataset.Preprocess{Scale: 1.0 / 255}, KeepZeroTaps: keep})
		if err != nil {
			t.Fatal(err)
		}
		before := append([]float32(nil), plan.Net.Param("w1").Value.F32...)
		f, err := NewFit(plan.Net, plan.Options(Config{Epochs: 2, Optimizer: "adam", LR: 0.01}))
		if err != nil {
			t.Fatal(err)
		}
		runFit(t, f)
		w := plan.Net.Param("w1").Value.F32
		revived, moved := 0, 0
		for i := range w {
			switch tap := i % 9; {
			case tap == 0 || tap == 4 || tap == 8:
				if w[i] != 0 {
					revived++
				}
			case w[i] != before[i]:
				moved++
			}
		}
		if moved == 0 {
			t.Fatalf("keep=%v: training moved no weight", keep)
		}
		if keep && revived != 0 {
			t.Errorf("%d removed taps came back with KeepZeroTaps", revived)
		}
		if !keep && revived == 0 {
			t.Errorf("without KeepZeroTaps no removed tap moved: the test proves nothing")
		}
	}
}
