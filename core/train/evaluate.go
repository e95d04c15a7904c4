package train

import (
	"context"
	"fmt"

	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/tensor"
)

// EvalForward runs the net in ModeEval (running BatchNormalization
// statistics, no dropout) and returns its logits: the eval.Forward that
// validation passes use. The logits are valid until the next pass.
func (n *Net) EvalForward() eval.Forward {
	return func(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
		if len(n.inputs) != 1 {
			return nil, fmt.Errorf("train: the model has %d inputs; evaluation feeds exactly one", len(n.inputs))
		}
		p, err := n.ForwardContext(ctx, map[string]*tensor.Tensor{n.inputs[0]: x}, ModeEval)
		if err != nil {
			return nil, err
		}
		return p.Logits(), nil
	}
}

// NewEvaluator evaluates net on data's images in order (epoch 0's batches),
// one batch per Step, reporting stage "validate".
func NewEvaluator(net *Net, data *Loader) (*eval.Evaluator, error) {
	return eval.New(data, net.EvalForward(), eval.Options{Stage: "validate", Classes: classesOf(data)})
}

// Evaluate runs a whole evaluation of net on data and returns its accuracy
// and mean cross-entropy.
func Evaluate(ctx context.Context, net *Net, data *Loader) (accuracy, loss float64, err error) {
	r, err := eval.Run(ctx, data, net.EvalForward(), eval.Options{Stage: "validate", Classes: classesOf(data)})
	if err != nil {
		return 0, 0, err
	}
	return r.Accuracy(), r.Loss(), nil
}

func classesOf(data *Loader) []string {
	if data == nil || data.Set == nil {
		return nil
	}
	return data.Set.Classes
}
