package train

import (
	"context"
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// Evaluator measures a net's accuracy and loss in ModeEval (running
// BatchNormalization statistics, no dropout) one batch per Step, so the
// browser can show progress and cancel; Evaluate runs it to the end.
type Evaluator struct {
	net     *Net
	data    *Loader
	step    int
	correct int
	seen    int
	loss    float64
}

// NewEvaluator evaluates net on data's images in order.
func NewEvaluator(net *Net, data *Loader) *Evaluator {
	return &Evaluator{net: net, data: data}
}

// Step evaluates one batch; done is true once every batch has been seen.
func (e *Evaluator) Step(ctx context.Context) (done bool, err error) {
	if e.step >= e.data.Steps() {
		return true, nil
	}
	x, labels, err := e.data.Batch(0, e.step)
	if err != nil {
		return false, err
	}
	inputs := e.net.InputNames()
	if len(inputs) != 1 {
		return false, fmt.Errorf("train: the model has %d inputs; evaluation feeds exactly one", len(inputs))
	}
	p, err := e.net.ForwardContext(ctx, map[string]*tensor.Tensor{inputs[0]: x}, ModeEval)
	if err != nil {
		return false, err
	}
	loss, _, correct, err := SoftmaxCrossEntropy(p.Logits(), labels)
	if err != nil {
		return false, err
	}
	e.loss += loss * float64(len(labels))
	e.correct += correct
	e.seen += len(labels)
	e.step++
	return e.step >= e.data.Steps(), nil
}

// Accuracy is the fraction of images seen so far classified correctly.
func (e *Evaluator) Accuracy() float64 {
	if e.seen == 0 {
		return 0
	}
	return float64(e.correct) / float64(e.seen)
}

// Loss is the mean cross-entropy so far.
func (e *Evaluator) Loss() float64 {
	if e.seen == 0 {
		return 0
	}
	return e.loss / float64(e.seen)
}

// Seen is the number of images evaluated so far; Progress the fraction of
// batches done.
func (e *Evaluator) Seen() int { return e.seen }

// Progress is the fraction of batches evaluated.
func (e *Evaluator) Progress() float64 {
	return float64(e.step) / float64(max(1, e.data.Steps()))
}

// Evaluate runs an Evaluator to the end and returns accuracy and mean loss.
func Evaluate(ctx context.Context, net *Net, data *Loader) (accuracy, loss float64, err error) {
	e := NewEvaluator(net, data)
	for {
		done, err := e.Step(ctx)
		if err != nil {
			return 0, 0, err
		}
		if done {
			return e.Accuracy(), e.Loss(), nil
		}
	}
}
