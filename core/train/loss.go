package train

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// LossFunc computes a training batch's loss from its logits: the loss,
// its gradient with respect to the logits (shaped like them) and how many
// rows are classified correctly. x is the batch's input, for a loss that
// runs another model on it (a distillation teacher). Config.Loss sets it.
type LossFunc func(ctx context.Context, x *tensor.Tensor, labels []int, logits *tensor.Tensor) (loss float64, dLogits *tensor.Tensor, correct int, err error)

// CrossEntropy is the default LossFunc: SoftmaxCrossEntropy on the labels.
func CrossEntropy(_ context.Context, _ *tensor.Tensor, labels []int, logits *tensor.Tensor) (float64, *tensor.Tensor, int, error) {
	return SoftmaxCrossEntropy(logits, labels)
}

// ErrNotFinite is the error of a step whose loss is NaN or infinite: the
// run has diverged (Fit's guard restores the last good weights and lowers
// the learning rate).
var ErrNotFinite = errors.New("train: the loss is not finite (the logits hold NaN or Inf): lower the learning rate")

// SoftmaxCrossEntropy is the mean over the batch of -log softmax(logits)[label],
// fused with its gradient. logits is N x K (trailing dimensions of size 1,
// as a 1x1 convolution head leaves them, are accepted). Each row is
// shifted by its maximum before exponentiating, so large logits do not
// overflow and the loss stays finite when a probability underflows.
//
// It returns the loss, dLoss/dLogits (shaped like logits: (softmax -
// onehot)/N) and how many rows have their largest logit at the label.
func SoftmaxCrossEntropy(logits *tensor.Tensor, labels []int) (loss float64, dLogits *tensor.Tensor, correct int, err error) {
	if logits == nil || logits.DType != tensor.Float32 {
		return 0, nil, 0, fmt.Errorf("train: logits must be float32")
	}
	if len(logits.Shape) < 1 || logits.Shape[0] != len(labels) || len(labels) == 0 {
		return 0, nil, 0, fmt.Errorf("train: logits of shape %v for %d labels; the first dimension must be the batch", logits.Shape, len(labels))
	}
	n := len(labels)
	k := logits.Len() / n
	for _, d := range logits.Shape[min(2, len(logits.Shape)):] {
		if d != 1 {
			return 0, nil, 0, fmt.Errorf("train: logits of shape %v are not N x classes", logits.Shape)
		}
	}
	dLogits = tensor.New(tensor.Float32, logits.Shape)
	var total float64
	for i, y := range labels {
		if y < 0 || y >= k {
			return 0, nil, 0, fmt.Errorf("train: label %d of row %d is outside the model's %d classes", y, i, k)
		}
		row := logits.F32[i*k : (i+1)*k]
		best := tensor.Argmax(row)
		if best == y {
			correct++
		}
		mx := float64(row[best])
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(sum)
		total += lse - float64(row[y])
		g := dLogits.F32[i*k : (i+1)*k]
		for j, v := range row {
			g[j] = float32(math.Exp(float64(v)-lse) / float64(n))
		}
		g[y] -= float32(1 / float64(n))
	}
	if math.IsNaN(total) || math.IsInf(total, 0) {
		return 0, nil, correct, ErrNotFinite
	}
	return total / float64(n), dLogits, correct, nil
}

// Accuracy counts the rows of N x K logits whose largest value is at the
// label.
func Accuracy(logits *tensor.Tensor, labels []int) int {
	n := len(labels)
	if n == 0 || logits.Len()%n != 0 {
		return 0
	}
	k := logits.Len() / n
	correct := 0
	for i, y := range labels {
		row := logits.F32[i*k : (i+1)*k]
		best := tensor.Argmax(row)
		if best == y {
			correct++
		}
	}
	return correct
}

func expf(v float32) float32 { return float32(math.Exp(float64(v))) }
