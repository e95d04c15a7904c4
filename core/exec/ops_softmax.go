package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// softmaxKernel implements Softmax and LogSoftmax. Before opset 13 the input
// is coerced to 2-D at axis (default 1) and normalised over the flattened
// trailing block; from 13 on it is normalised along the single axis
// (default -1). The maximum is subtracted first so exp never overflows.
func softmaxKernel(logOut bool) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if x.DType != tensor.Float32 && x.DType != tensor.Float64 {
			return nil, fmt.Errorf("needs a float tensor, got %v", x.DType)
		}
		rank := len(x.Shape)
		var outer, n, inner int
		if c.Opset < 13 {
			axis, err := normAxisIncl(c.Node.AttrInt("axis", 1), rank)
			if err != nil {
				return nil, err
			}
			outer, n, inner = tensor.NumElements(x.Shape[:axis]), tensor.NumElements(x.Shape[axis:]), 1
		} else {
			if rank == 0 {
				return nil, fmt.Errorf("needs at least rank 1")
			}
			axis, err := graph.NormAxis(c.Node.AttrInt("axis", -1), rank, "axis")
			if err != nil {
				return nil, err
			}
			outer, n, inner = tensor.NumElements(x.Shape[:axis]), x.Shape[axis], tensor.NumElements(x.Shape[axis+1:])
		}
		out := c.Alloc(x.DType, x.Shape)
		row := make([]float64, n)
		get := func(i int) float64 { return asFloat64(x, i) }
		set := func(i int, v float64) {
			if out.DType == tensor.Float32 {
				out.F32[i] = float32(v)
			} else {
				out.F64[i] = v
			}
		}
		for o := 0; o < outer; o++ {
			for k := 0; k < inner; k++ {
				base := o*n*inner + k
				mx := math.Inf(-1)
				for j := 0; j < n; j++ {
					row[j] = get(base + j*inner)
					mx = math.Max(mx, row[j])
				}
				sum := 0.0
				for j := range row {
					sum += math.Exp(row[j] - mx)
				}
				if logOut {
					ls := math.Log(sum)
					for j := range row {
						set(base+j*inner, row[j]-mx-ls)
					}
				} else {
					for j := range row {
						set(base+j*inner, math.Exp(row[j]-mx)/sum)
					}
				}
			}
		}
		return []*tensor.Tensor{out}, nil
	}
}

// normAxisIncl maps an axis into [0, rank], the range Flatten and the
// legacy Softmax accept.
func normAxisIncl(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis > int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

func init() {
	Register("Softmax", 1, 0, softmaxKernel(false))
	Register("LogSoftmax", 1, 0, softmaxKernel(true))
}
