package eval

import (
	"context"
	"fmt"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/tensor"
)

// SessionForward runs sess with the batch as its input called input and
// returns its first output.
func SessionForward(sess *exec.Session, input string) Forward {
	return func(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
		outs, err := sess.RunContext(ctx, map[string]*tensor.Tensor{input: x})
		if err != nil {
			return nil, err
		}
		names := sess.OutputNames()
		if len(names) == 0 || outs[names[0]] == nil {
			return nil, fmt.Errorf("the model produced no output")
		}
		return outs[names[0]], nil
	}
}
