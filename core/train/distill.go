package train

import (
	"context"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/tensor"
)

// DistillOptions weigh knowledge distillation's two terms.
type DistillOptions struct {
	// Temperature softens both models' logits (default 4): the student
	// learns how the teacher ranks the wrong classes, not only its answer.
	Temperature float64
	// Alpha is the weight of the soft (teacher) term in [0, 1]; the labels'
	// cross-entropy gets 1-Alpha. Default 0.7.
	Alpha float64
	// IgnoreLabels makes the teacher's outputs the only targets (Alpha 1,
	// the labels never read): for training on images of another task,
	// whose labels are not the model's classes. The correct count is then
	// agreement with the teacher's top class.
	IgnoreLabels bool
}

func (o DistillOptions) withDefaults() (DistillOptions, error) {
	if o.Temperature == 0 {
		o.Temperature = 4
	}
	if o.IgnoreLabels {
		if o.Alpha != 0 && o.Alpha != 1 {
			return o, fmt.Errorf("train: distillation without labels has no label term to weigh (weight %g)", o.Alpha)
		}
		o.Alpha = 1
	}
	if o.Alpha == 0 {
		o.Alpha = 0.7
	}
	if o.Temperature <= 0 || math.IsNaN(o.Temperature) || o.Alpha < 0 || o.Alpha > 1 || math.IsNaN(o.Alpha) {
		return o, fmt.Errorf("train: distillation needs a positive temperature and a weight in [0, 1] (got %g, %g)", o.Temperature, o.Alpha)
	}
	return o, nil
}

// Distill is the LossFunc of knowledge distillation (Hinton et al., 2015):
//
//	Alpha * T² * KL(softmax(t/T) ‖ softmax(s/T)) + (1-Alpha) * CE(s, labels)
//
// averaged over the batch, where s are the student's logits and t the
// teacher's on the same input (teacher is typically the original model's
// Net.EvalForward before pruning or quantization). The T² keeps the soft
// term's gradient, T·(softmax(s/T) - softmax(t/T)), on the scale of the
// hard term's as T changes. With IgnoreLabels the loss is the soft term
// alone and the labels are not read.
func Distill(teacher eval.Forward, opt DistillOptions) (LossFunc, error) {
	if teacher == nil {
		return nil, fmt.Errorf("train: distillation needs a teacher")
	}
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, x *tensor.Tensor, labels []int, logits *tensor.Tensor) (float64, *tensor.Tensor, int, error) {
		var hard float64
		var dLogits *tensor.Tensor
		var correct int
		if opt.IgnoreLabels {
			dLogits = tensor.New(tensor.Float32, logits.Shape)
		} else if hard, dLogits, correct, err = SoftmaxCrossEntropy(logits, labels); err != nil {
			return 0, nil, correct, err
		}
		t, err := teacher(ctx, x)
		if err != nil {
			return 0, nil, 0, fmt.Errorf("train: the distillation teacher: %w", err)
		}
		if t.DType != tensor.Float32 || t.Len() != logits.Len() {
			return 0, nil, 0, fmt.Errorf("train: the teacher's logits %v do not match the student's %v", t.Shape, logits.Shape)
		}
		n := len(labels)
		k := logits.Len() / n
		temp, alpha := opt.Temperature, opt.Alpha
		var soft float64
		ps := make([]float64, k)
		pt := make([]float64, k)
		for i := range n {
			if opt.IgnoreLabels && tensor.Argmax(logits.F32[i*k:(i+1)*k]) == tensor.Argmax(t.F32[i*k:(i+1)*k]) {
				correct++
			}
			lps := logSoftmax(logits.F32[i*k:(i+1)*k], temp, ps)
			lpt := logSoftmax(t.F32[i*k:(i+1)*k], temp, pt)
			g := dLogits.F32[i*k : (i+1)*k]
			for j := range k {
				qt := math.Exp(lpt[j])
				soft += qt * (lpt[j] - lps[j])
				g[j] = float32((1-alpha)*float64(g[j]) + alpha*temp*(math.Exp(lps[j])-qt)/float64(n))
			}
		}
		loss := alpha*temp*temp*soft/float64(n) + (1-alpha)*hard
		return loss, dLogits, correct, nil
	}, nil
}

// logSoftmax writes log softmax(row/temp) into out and returns it.
func logSoftmax(row []float32, temp float64, out []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v)/temp)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v)/temp - mx)
	}
	lse := mx + math.Log(sum)
	for j, v := range row {
		out[j] = float64(v)/temp - lse
	}
	return out
}
