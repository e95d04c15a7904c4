//go:build !js

package qil

import (
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// TestMnist8BiasMeasure is the int32-bias measurement of
// docs/quantization.md: min-max PTQ of mnist-8 at the bit widths of
// PARE_QIL_BIAS (e.g. "8,4"), first/last in float and every layer
// quantized, exported once with float biases and once with int32 ones;
// t10k accuracy of each, the largest logit difference between them, and
// how many images change class. Seconds per row; skipped unless set.
func TestMnist8BiasMeasure(t *testing.T) {
	spec := os.Getenv("PARE_QIL_BIAS")
	if spec == "" {
		t.Skip("set PARE_QIL_BIAS=8,4 to measure")
	}
	d := openMnist(t, 0)
	ctx := context.Background()
	// mnist-8's input has batch 1.
	rowsOf := &train.Loader{Set: d.test.Set, Preprocess: dataset.DefaultPreprocess([]int{1, 1, 28, 28}), BatchSize: 1}
	for _, s := range strings.Split(spec, ",") {
		b, _ := strconv.Atoi(s)
		for _, keep := range [][]string{nil, {}} {
			opt := Options{Bits: Bits{b, b}, KeepFP: keep}
			fb, _, err := ptq(ctx, d.model, d.train, opt, 0, &emitter{storage: StorageInt8, floatBias: true})
			if err != nil {
				t.Fatal(err)
			}
			ib, _, err := PTQ(ctx, d.model, d.train, opt, 0, StorageInt8)
			if err != nil {
				t.Fatal(err)
			}
			fl, labels := logits(t, fb, rowsOf)
			il, _ := logits(t, ib, rowsOf)
			width := len(fl) / len(labels)
			worst, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			fRight, iRight, changed := 0, 0, 0
			for i, y := range labels {
				fr, ir := fl[i*width:(i+1)*width], il[i*width:(i+1)*width]
				for j := range fr {
					worst = max(worst, math.Abs(float64(fr[j]-ir[j])))
					lo, hi = min(lo, float64(fr[j])), max(hi, float64(fr[j]))
				}
				fa, ia := tensor.Argmax(fr), tensor.Argmax(ir)
				fRight += b2i(fa == y)
				iRight += b2i(ia == y)
				changed += b2i(fa != ia)
			}
			policy := "first/last float"
			if keep != nil {
				policy = "all layers"
			}
			n := float64(len(labels))
			t.Logf("PTQ w%da%d %s: float bias %.2f %%, int32 bias %.2f %%, max |logit diff| %.3g over a logit range of %.3g, %d of %d images change class",
				b, b, policy, 100*float64(fRight)/n, 100*float64(iRight)/n, worst, hi-lo, changed, len(labels))
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// logits runs m over every batch of data and returns the logits, row
// after row, and the labels.
func logits(t *testing.T, m *onnx.Model, data *train.Loader) ([]float32, []int) {
	t.Helper()
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	var out []float32
	var labels []int
	for step := range data.Steps() {
		x, y, err := data.Batch(0, step)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.Run(map[string]*tensor.Tensor{m.Graph.Input[0].Name: x})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r[m.Graph.Output[0].Name].F32...)
		labels = append(labels, y...)
	}
	return out, labels
}
