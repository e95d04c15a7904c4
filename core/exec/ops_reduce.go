package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceSumSquare,
// ReduceL1, ReduceL2. Accumulation is in float64, except that integer
// inputs accumulate in int64 where the reduction stays integral (float64
// would round sums of int64 beyond 2^53).

type reduction struct {
	init   float64
	step   func(acc, v float64) float64
	finish func(acc float64, n int) float64
	// axesInputSince is the opset from which axes come from an input.
	axesInputSince int64
	// intStep, when set, reduces integer inputs exactly in int64 from
	// int64(init); finish then applies to the float64 of the result.
	intStep func(acc, v int64) int64
}

var reductions = map[string]reduction{
	"ReduceMean":      {0, func(a, v float64) float64 { return a + v }, func(a float64, n int) float64 { return a / float64(n) }, 18, nil},
	"ReduceSum":       {0, func(a, v float64) float64 { return a + v }, nil, 13, func(a, v int64) int64 { return a + v }},
	"ReduceMax":       {math.Inf(-1), func(a, v float64) float64 { return nanMax(a, v) }, nil, 18, func(a, v int64) int64 { return max(a, v) }},
	"ReduceMin":       {math.Inf(1), func(a, v float64) float64 { return nanMin(a, v) }, nil, 18, func(a, v int64) int64 { return min(a, v) }},
	"ReduceProd":      {1, func(a, v float64) float64 { return a * v }, nil, 18, func(a, v int64) int64 { return a * v }},
	"ReduceSumSquare": {0, func(a, v float64) float64 { return a + v*v }, nil, 18, func(a, v int64) int64 { return a + v*v }},
	"ReduceL1":        {0, func(a, v float64) float64 { return a + math.Abs(v) }, nil, 18, func(a, v int64) int64 { return a + max(v, -v) }},
	"ReduceL2":        {0, func(a, v float64) float64 { return a + v*v }, func(a float64, _ int) float64 { return math.Sqrt(a) }, 18, nil},
}

// intInit is the int64 start of an exact integer reduction: the float64
// init, with the infinities of Max and Min as the int64 extremes.
func intInit(init float64) int64 {
	switch {
	case math.IsInf(init, -1):
		return math.MinInt64
	case math.IsInf(init, 1):
		return math.MaxInt64
	}
	return int64(init)
}

func nanMax(a, v float64) float64 {
	if math.IsNaN(a) || math.IsNaN(v) {
		return math.NaN()
	}
	return math.Max(a, v)
}

func nanMin(a, v float64) float64 {
	if math.IsNaN(a) || math.IsNaN(v) {
		return math.NaN()
	}
	return math.Min(a, v)
}

func reduceKernel(r reduction) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		switch x.DType {
		case tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Int8, tensor.Uint8:
		default:
			return nil, fmt.Errorf("unsupported element type %v", x.DType)
		}
		rank := len(x.Shape)
		axes, given, err := axesArg(c, in, r.axesInputSince)
		if err != nil {
			return nil, err
		}
		keep := c.Node.AttrInt("keepdims", 1) != 0
		reduced := make([]bool, rank)
		if !given || len(axes) == 0 {
			if c.Opset >= r.axesInputSince && c.Node.AttrInt("noop_with_empty_axes", 0) != 0 {
				return []*tensor.Tensor{copyTensor(c, x, x.Shape)}, nil
			}
			for i := range reduced {
				reduced[i] = true
			}
		} else {
			ax, err := graph.NormAxes(axes, rank, "axis")
			if err != nil {
				return nil, err
			}
			for _, a := range ax {
				reduced[a] = true
			}
		}
		var outShape, keptShape []int
		for i, d := range x.Shape {
			if reduced[i] {
				keptShape = append(keptShape, 1)
				if keep {
					outShape = append(outShape, 1)
				}
			} else {
				keptShape = append(keptShape, d)
				outShape = append(outShape, d)
			}
		}
		nOut := tensor.NumElements(keptShape)
		count := 1
		if nOut > 0 {
			count = x.Len() / nOut
		}
		acc := make([]float64, nOut)
		for i := range acc {
			acc[i] = r.init
		}
		outStrides := tensor.Strides(keptShape)
		for i := range outStrides {
			if reduced[i] {
				outStrides[i] = 0
			}
		}
		if r.intStep != nil && !isFloat(x.DType) {
			return one(reduceInts(c, x, r, outShape, keptShape, outStrides))
		}
		if x.Len() > 0 {
			p := mergePlan(x.Shape, [][]int{tensor.Strides(x.Shape), outStrides})
			p.rows(func(_ int, offs []int, n int, inner []int) {
				for j := 0; j < n; j++ {
					k := offs[1] + j*inner[1]
					acc[k] = r.step(acc[k], asFloat64(x, offs[0]+j*inner[0]))
				}
			})
		}
		out := c.Alloc(x.DType, outShape)
		for i, v := range acc {
			if r.finish != nil {
				v = r.finish(v, count)
			}
			setFromFloat(out, i, v)
		}
		return []*tensor.Tensor{out}, nil
	}
}

// reduceInts is reduceKernel's exact path for integer inputs: int64
// accumulators, stored with the output type's wrap-around (int32 sums
// overflow as in two's complement, like onnxruntime's).
func reduceInts(c *Context, x *tensor.Tensor, r reduction, outShape, keptShape, outStrides []int) (*tensor.Tensor, error) {
	acc := make([]int64, tensor.NumElements(keptShape))
	init := intInit(r.init)
	for i := range acc {
		acc[i] = init
	}
	if x.Len() > 0 {
		p := mergePlan(x.Shape, [][]int{tensor.Strides(x.Shape), outStrides})
		p.rows(func(_ int, offs []int, n int, inner []int) {
			for j := 0; j < n; j++ {
				k := offs[1] + j*inner[1]
				acc[k] = r.intStep(acc[k], asInt64(x, offs[0]+j*inner[0]))
			}
		})
	}
	out := c.Alloc(x.DType, outShape)
	for i, v := range acc {
		if x.Len() == 0 {
			// Nothing reduced: init saturated to the type (Max of
			// nothing is the type's minimum, not a wrapped int64).
			setFromFloat(out, i, r.init)
			continue
		}
		setFromInt(out, i, v)
	}
	return out, nil
}

func init() {
	for name, r := range reductions {
		Register(name, 1, 0, reduceKernel(r))
	}
}
