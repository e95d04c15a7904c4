package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/tensor"
)

// BatchNormInto computes inference BatchNormalization into y (shaped like
// x): y = scale*(x-mean)/sqrt(variance+epsilon) + bias. The four parameter
// tensors hold one value per channel (x is N x C x ...), or, for the
// opset 1-7 spatial=0 form, one value per channel and spatial position
// (C x D1 x ... x Dn).
func BatchNormInto(y, x, scale, bias, mean, variance *tensor.Tensor, epsilon float32) error {
	if len(x.Shape) < 2 {
		return fmt.Errorf("BatchNormalization: input X %v must be N x C x ...", x.Shape)
	}
	for _, t := range []*tensor.Tensor{y, x, scale, bias, mean, variance} {
		if t.DType != tensor.Float32 || len(t.F32) != t.Len() {
			return fmt.Errorf("BatchNormalization: operands must be float32 tensors with data matching their shape (got %v %v)", t.DType, t.Shape)
		}
	}
	if !slices.Equal(y.Shape, x.Shape) {
		return fmt.Errorf("BatchNormalization: output %v, want %v", y.Shape, x.Shape)
	}
	n, c := x.Shape[0], x.Shape[1]
	inner := product(x.Shape[2:])
	per := scale.Len() // values per sample: C, or C x spatial
	if per != c && per != c*inner {
		return fmt.Errorf("BatchNormalization: scale %v fits neither C=%d nor C x spatial of X %v", scale.Shape, c, x.Shape)
	}
	for _, t := range []*tensor.Tensor{bias, mean, variance} {
		if t.Len() != per {
			return fmt.Errorf("BatchNormalization: scale %v, B, mean and var must have equal size, got %v", scale.Shape, t.Shape)
		}
	}
	// Fold to y = a*x + b once per parameter, in float64 for the division.
	h, ab := getScratch(2 * per)
	defer putScratch(h)
	a, b := ab[:per], ab[per:]
	for i := range a {
		s := float64(scale.F32[i]) / math.Sqrt(float64(variance.F32[i])+float64(epsilon))
		a[i] = float32(s)
		b[i] = float32(float64(bias.F32[i]) - float64(mean.F32[i])*s)
	}
	run := inner // elements sharing one (a, b)
	if per != c {
		run = 1
	}
	sample := c * inner
	for s := 0; s < n; s++ {
		xs := x.F32[s*sample : (s+1)*sample]
		ys := y.F32[s*sample : (s+1)*sample]
		for i := 0; i < per; i++ {
			ai, bi := a[i], b[i]
			xr := xs[i*run : (i+1)*run]
			yr := ys[i*run : (i+1)*run]
			for j, v := range xr {
				yr[j] = ai*v + bi
			}
		}
	}
	return nil
}

// BatchNorm allocates and returns inference BatchNormalization of x.
func BatchNorm(x, scale, bias, mean, variance *tensor.Tensor, epsilon float32) (*tensor.Tensor, error) {
	if x.DType != tensor.Float32 {
		return nil, fmt.Errorf("BatchNormalization: input must be float32, got %v", x.DType)
	}
	y := tensor.New(tensor.Float32, x.Shape)
	if err := BatchNormInto(y, x, scale, bias, mean, variance, epsilon); err != nil {
		return nil, err
	}
	return y, nil
}
