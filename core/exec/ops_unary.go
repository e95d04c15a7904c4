package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// Elementwise unary math and activations. Float kernels compute in float64
// and round once, which is at least as accurate as float32 throughout.

// floatUnary builds a kernel applying f to every element of a float32 or
// float64 tensor. attrs reads the node's attributes once per call.
func floatUnary(mk func(c *Context) func(float64) float64) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		f := mk(c)
		x := in[0]
		out, err := alloc(c, x.DType, x.Shape)
		if err != nil {
			return nil, err
		}
		switch x.DType {
		case tensor.Float32:
			for i, v := range x.F32 {
				out.F32[i] = float32(f(float64(v)))
			}
		case tensor.Float64:
			for i, v := range x.F64 {
				out.F64[i] = f(v)
			}
		default:
			return nil, fmt.Errorf("needs a float tensor, got %v", x.DType)
		}
		return []*tensor.Tensor{out}, nil
	}
}

func plain(f func(float64) float64) Kernel {
	return floatUnary(func(*Context) func(float64) float64 { return f })
}

// signedUnary builds a kernel for ops defined on floats and signed and
// unsigned integers alike (Neg, Abs, Relu, Sign).
func signedUnary(name string, f func(float64) float64, i64 func(int64) int64) Kernel {
	fk := plain(f)
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		x := in[0]
		if isFloat(x.DType) {
			return fk(c, in)
		}
		out, err := alloc(c, x.DType, x.Shape)
		if err != nil {
			return nil, err
		}
		if !mapIntegers(out, x, i64) {
			return nil, fmt.Errorf("%s does not support %v", name, x.DType)
		}
		return []*tensor.Tensor{out}, nil
	}
}

// mapIntegers sets out[i] = f(x[i]) for an int64, int32, int8 or uint8
// tensor x, computing in int64 and converting back to the element type;
// it reports false, writing nothing, for any other element type.
func mapIntegers(out, x *tensor.Tensor, f func(int64) int64) bool {
	switch x.DType {
	case tensor.Int64:
		for i, v := range x.I64 {
			out.I64[i] = f(v)
		}
	case tensor.Int32:
		for i, v := range x.I32 {
			out.I32[i] = int32(f(int64(v)))
		}
	case tensor.Int8:
		for i, v := range x.I8 {
			out.I8[i] = int8(f(int64(v)))
		}
	case tensor.Uint8:
		for i, v := range x.U8 {
			out.U8[i] = uint8(f(int64(v)))
		}
	default:
		return false
	}
	return true
}

// reluKernel has a float32 fast path: it runs after nearly every Conv.
// NaN propagates (max(x, 0) of the specification, as onnxruntime and the
// float64 path do), hence "not v <= 0" rather than "v > 0".
func reluKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if x := in[0]; x.DType == tensor.Float32 {
		out := c.Alloc(tensor.Float32, x.Shape)
		for i, v := range x.F32 {
			if !(v <= 0) {
				out.F32[i] = v
			}
		}
		return []*tensor.Tensor{out}, nil
	}
	return reluGeneric(c, in)
}

var reluGeneric = signedUnary("Relu", func(x float64) float64 { return math.Max(x, 0) }, func(x int64) int64 { return max(x, 0) })

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0 or NaN
}

func init() {
	Register("Relu", 1, 0, reluKernel)
	Register("Neg", 1, 0, signedUnary("Neg", func(x float64) float64 { return -x }, func(x int64) int64 { return -x }))
	Register("Abs", 1, 0, signedUnary("Abs", math.Abs, func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}))
	Register("Sign", 9, 0, signedUnary("Sign", sign, func(x int64) int64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}))
	Register("Sqrt", 1, 0, plain(math.Sqrt))
	Register("Exp", 1, 0, plain(math.Exp))
	Register("Log", 1, 0, plain(math.Log))
	Register("Reciprocal", 1, 0, plain(func(x float64) float64 { return 1 / x }))
	Register("Floor", 1, 0, plain(math.Floor))
	Register("Ceil", 1, 0, plain(math.Ceil))
	Register("Round", 11, 0, plain(math.RoundToEven))
	Register("Erf", 9, 0, plain(math.Erf))
	Register("Sin", 7, 0, plain(math.Sin))
	Register("Cos", 7, 0, plain(math.Cos))
	Register("Sigmoid", 1, 0, plain(sigmoid))
	Register("Tanh", 1, 0, plain(math.Tanh))
	Register("Softplus", 1, 0, plain(func(x float64) float64 {
		if x > 0 {
			return x + math.Log1p(math.Exp(-x))
		}
		return math.Log1p(math.Exp(x))
	}))
	Register("Softsign", 1, 0, plain(func(x float64) float64 { return x / (1 + math.Abs(x)) }))
	Register("LeakyRelu", 1, 0, floatUnary(func(c *Context) func(float64) float64 {
		alpha := float64(c.Node.AttrFloat("alpha", 0.01))
		return func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}
	}))
	Register("Elu", 1, 0, floatUnary(func(c *Context) func(float64) float64 {
		alpha := float64(c.Node.AttrFloat("alpha", 1))
		return func(x float64) float64 {
			if x < 0 {
				return alpha * (math.Exp(x) - 1)
			}
			return x
		}
	}))
	Register("Selu", 1, 0, floatUnary(func(c *Context) func(float64) float64 {
		alpha := float64(c.Node.AttrFloat("alpha", 1.67326319217681884765625))
		gamma := float64(c.Node.AttrFloat("gamma", 1.05070102214813232421875))
		return func(x float64) float64 {
			if x <= 0 {
				return gamma * alpha * (math.Exp(x) - 1)
			}
			return gamma * x
		}
	}))
	Register("HardSigmoid", 1, 0, floatUnary(func(c *Context) func(float64) float64 {
		alpha := float64(c.Node.AttrFloat("alpha", 0.2))
		beta := float64(c.Node.AttrFloat("beta", 0.5))
		return func(x float64) float64 { return math.Max(0, math.Min(1, alpha*x+beta)) }
	}))
	Register("HardSwish", 14, 0, plain(func(x float64) float64 {
		return x * math.Max(0, math.Min(1, x/6+0.5))
	}))
}
