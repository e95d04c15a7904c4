package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// lrnKernel is Local Response Normalization across channels (AlexNet,
// GoogLeNet): y = x / (bias + alpha/size * sum of x^2 over the size
// neighbouring channels)^beta.
func lrnKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != tensor.Float32 || len(x.Shape) < 3 {
		return nil, fmt.Errorf("needs a float32 tensor of rank >= 3, got %v %v", x.DType, x.Shape)
	}
	size := int(c.Node.AttrInt("size", 0))
	if size <= 0 {
		return nil, fmt.Errorf("attribute size must be positive, got %d", size)
	}
	alpha := float64(c.Node.AttrFloat("alpha", 1e-4))
	beta := float64(c.Node.AttrFloat("beta", 0.75))
	bias := float64(c.Node.AttrFloat("bias", 1))
	n, ch := x.Shape[0], x.Shape[1]
	inner := tensor.NumElements(x.Shape[2:])
	lo, hi := (size-1)/2, (size)/2 // floor and ceil of (size-1)/2
	out := c.Alloc(tensor.Float32, x.Shape)
	for b := 0; b < n; b++ {
		base := b * ch * inner
		for k := 0; k < ch; k++ {
			c0, c1 := max(0, k-lo), min(ch-1, k+hi)
			for i := 0; i < inner; i++ {
				sum := 0.0
				for j := c0; j <= c1; j++ {
					v := float64(x.F32[base+j*inner+i])
					sum += v * v
				}
				idx := base + k*inner + i
				out.F32[idx] = float32(float64(x.F32[idx]) / math.Pow(bias+alpha/float64(size)*sum, beta))
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}

func init() {
	Register("LRN", 1, 0, lrnKernel)
}
