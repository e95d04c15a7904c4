package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// BatchNormalization, inference only: a binding of core/nn.
//
// Training is asked for by training_mode=1 (opset 14 and later), or, in
// earlier forms, by requesting the running or saved statistics outputs.
// That belongs to the training engine; here it is a clear error. An
// opset 1/6 node with is_test=0 but only the Y output is evaluated in
// inference mode, as onnxruntime does. The opset 1-7 spatial=0 form (one
// parameter per channel and position) is recognised from the parameter
// shapes.

func init() {
	Register("BatchNormalization", 1, 0, batchNormKernel)
}

func batchNormKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 5); err != nil {
		return nil, err
	}
	if err := requireFloat32("BatchNormalization", in, "X", "scale", "B", "input_mean", "input_var"); err != nil {
		return nil, err
	}
	if c.Opset >= 14 && c.Node.AttrInt("training_mode", 0) != 0 {
		return nil, fmt.Errorf("BatchNormalization: training_mode=1 is not supported by the inference executor; set training_mode=0 (running statistics) or use the training engine")
	}
	for i := 1; i < len(c.Node.Output); i++ {
		if c.Node.Output[i] != "" {
			return nil, fmt.Errorf("BatchNormalization: output %d (%s) is a training-mode statistic; the inference executor computes only Y", i, c.Node.Output[i])
		}
	}
	y, err := alloc(c, tensor.Float32, in[0].Shape)
	if err != nil {
		return nil, err
	}
	if err := nn.BatchNormInto(y, in[0], in[1], in[2], in[3], in[4], c.Node.AttrFloat("epsilon", 1e-5)); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}
