package custom_test

import (
	"fmt"

	"github.com/pare-ml/pare/core/custom"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/tensor"
)

// Register an elementwise operator of a custom domain once; every layer
// then knows it. Here exec runs it.
func ExampleRegister() {
	double := func(c *exec.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		y := c.Alloc(tensor.Float32, in[0].Shape)
		for i, v := range in[0].F32 {
			y.F32[i] = 2 * v
		}
		return []*tensor.Tensor{y}, nil
	}
	err := custom.Register(custom.Op{Domain: "example.pare", OpType: "Double", MinOpset: 1, Kernel: double, Shape: custom.SameAsInput(0)})
	fmt.Println(err, exec.Lookup("example.pare", "Double", 1) != nil)
	// A second registration of the same operator is refused.
	err = custom.Register(custom.Op{Domain: "example.pare", OpType: "Double", MinOpset: 1, Kernel: double, Shape: custom.SameAsInput(0)})
	fmt.Println(err)
	// Output:
	// <nil> true
	// custom: example.pare.Double is already registered for opsets 1+; the range 1+ overlaps it
}
