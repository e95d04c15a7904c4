package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// BatchNormalization in both modes. In ModeTrain (unless the net freezes
// BN) it normalises with the batch's statistics and folds them into the
// running ones; otherwise it uses the running statistics. The backward
// rule differs accordingly: with batch statistics the mean and variance
// depend on x, which adds the two reduction terms.

func init() {
	registerGrad("BatchNormalization", batchNormGrad, 0, 1, 2)
}

// bnSaved is what the backward pass needs: per channel, the mean and
// 1/sqrt(var+eps) that normalised x, and whether they were the batch's.
type bnSaved struct {
	mean, invStd []float32
	batchStats   bool
	count        float64 // the elements per channel the statistics are of
}

// bnLayout splits x into (N, C, S): batch, channels and spatial size.
func bnLayout(nd *onnx.Node, opset int64, x *tensor.Tensor, in []*tensor.Tensor) (n, ch, s int, err error) {
	if len(in) < 5 {
		return 0, 0, 0, fmt.Errorf("BatchNormalization needs 5 inputs, got %d", len(in))
	}
	for i, name := range []string{"X", "scale", "B", "mean", "var"} {
		if err := requireF32(in[i], name); err != nil {
			return 0, 0, 0, err
		}
	}
	if len(x.Shape) < 2 {
		return 0, 0, 0, fmt.Errorf("BatchNormalization input must be N x C x ..., got %v", x.Shape)
	}
	if opset < 9 && nd.AttrInt("spatial", 1) == 0 {
		return 0, 0, 0, fmt.Errorf("BatchNormalization with spatial=0 is not supported for training")
	}
	n, ch = x.Shape[0], x.Shape[1]
	s = 1
	for _, d := range x.Shape[2:] {
		s *= d
	}
	for i := 1; i < 5; i++ {
		if in[i].Len() != ch {
			return 0, 0, 0, fmt.Errorf("BatchNormalization input %d has %d values for %d channels", i, in[i].Len(), ch)
		}
	}
	return n, ch, s, nil
}

func batchNormForward(net *Net, nd *onnx.Node, in []*tensor.Tensor, mode Mode) ([]*tensor.Tensor, any, error) {
	x := in[0]
	n, ch, s, err := bnLayout(nd, net.opset, x, in)
	if err != nil {
		return nil, nil, err
	}
	eps := nd.AttrFloat("epsilon", 1e-5)
	momentum := nd.AttrFloat("momentum", 0.9)
	if k := net.bnCumulative; k >= 0 {
		momentum = float32(k) / float32(k+1) // an equal-weight average of the batches so far
	}
	scale, bias, rMean, rVar := in[1].F32, in[2].F32, in[3].F32, in[4].F32
	sv := &bnSaved{mean: make([]float32, ch), invStd: make([]float32, ch)}
	sv.batchStats = mode == ModeTrain && !net.opt.FreezeBatchNorm
	y := net.pool.get(phaseForward, x.Shape, false) // every element is written below
	var batchVar []float32
	if sv.batchStats {
		batchVar = make([]float32, ch)
		m := float64(n * s)
		// One pass for both moments, in the SIMD kernel under wasm: BN's
		// passes over the activations dominate its time there.
		moments := make([]float64, 2*ch)
		nn.ChannelMoments(moments, x.F32, n, ch, s)
		if net.sync != nil {
			if m, err = net.sync.moments(moments, m); err != nil {
				return nil, nil, err
			}
		}
		for c := 0; c < ch; c++ {
			sum, sumSq := moments[2*c], moments[2*c+1]
			mean := sum / m
			sq := max(sumSq-sum*mean, 0)
			v := sq / m
			sv.mean[c] = float32(mean)
			sv.invStd[c] = float32(1 / math.Sqrt(v+float64(eps)))
			batchVar[c] = float32(v)
			// Running variance takes the unbiased estimate, as PyTorch
			// does, so models trained here and there agree.
			unbiased := v
			if m > 1 {
				unbiased = sq / (m - 1)
			}
			rMean[c] = rMean[c]*momentum + float32(mean)*(1-momentum)
			rVar[c] = rVar[c]*momentum + float32(unbiased)*(1-momentum)
		}
		sv.count = m
	} else {
		for c := 0; c < ch; c++ {
			sv.mean[c] = rMean[c]
			sv.invStd[c] = float32(1 / math.Sqrt(float64(rVar[c])+float64(eps)))
		}
	}
	// y = x*k + off per channel, k = scale/std and off = bias - mean*k.
	k, off := make([]float32, ch), make([]float32, ch)
	for c := 0; c < ch; c++ {
		k[c] = scale[c] * sv.invStd[c]
		off[c] = bias[c] - sv.mean[c]*k[c]
	}
	nn.ChannelAffine(y.F32, x.F32, k, off, n, ch, s, net.fusedRelu[nd] != nil)
	outs := []*tensor.Tensor{y}
	// Optional training outputs (running mean and variance, and before
	// opset 14 the saved batch mean and variance).
	for i := 1; i < len(nd.Output); i++ {
		if nd.Output[i] == "" {
			outs = append(outs, nil)
			continue
		}
		var src []float32
		switch {
		case i == 1:
			src = rMean
		case i == 2:
			src = rVar
		case i == 3:
			src = sv.mean
		case i == 4 && batchVar != nil:
			src = batchVar
		default:
			src = rVar
		}
		outs = append(outs, tensor.FromF32([]int{ch}, append([]float32(nil), src...)))
	}
	return outs, sv, nil
}

func batchNormGrad(c *gradContext) ([]*tensor.Tensor, error) {
	x, dy := c.in[0], c.dOut[0]
	// With a fused ReLU, dy arrives through the Relu rule, which already
	// masked it; the BN output itself is not needed here.
	n, ch, s, err := bnLayout(c.node, c.opset, x, c.in)
	if err != nil {
		return nil, err
	}
	sv, ok := c.saved.(*bnSaved)
	if !ok {
		return nil, fmt.Errorf("BatchNormalization: the forward pass saved no statistics")
	}
	scale := c.in[1].F32
	// dx overwrites dy when this rule owns it: each element of dy is read
	// (in the second pass) just before its dx is written.
	dx := dy
	if !c.ownOut[0] || !slices.Equal(dy.Shape, x.Shape) {
		dx = c.net.pool.get(phaseBackward, x.Shape, false) // every element is written below
	}
	dScale := tensor.New(tensor.Float32, []int{ch})
	dBias := tensor.New(tensor.Float32, []int{ch})
	sums := make([]float64, 2*ch)
	nn.ChannelGradSums(sums, dy.F32, x.F32, sv.mean, sv.invStd, n, ch, s)
	m := float32(n * s)
	// A data-parallel worker's scale and bias gradients are its share's
	// (the workers' gradients are summed later), but with batch
	// statistics its input gradient needs the global batch's sums.
	global := sums
	if sv.batchStats && c.net.sync != nil {
		if global, err = c.net.sync.gradSums(sums); err != nil {
			return nil, err
		}
		m = float32(sv.count)
	}
	k, meanG, meanGX := make([]float32, ch), make([]float32, ch), make([]float32, ch)
	for ci := 0; ci < ch; ci++ {
		dBias.F32[ci] = float32(sums[2*ci])
		dScale.F32[ci] = float32(sums[2*ci+1])
		k[ci] = scale[ci] * sv.invStd[ci]
		meanG[ci] = float32(global[2*ci]) / m
		meanGX[ci] = float32(global[2*ci+1]) / m
	}
	if !sv.batchStats {
		// The statistics are constants: dx = dy * scale/std.
		for b := 0; b < n; b++ {
			for ci := 0; ci < ch; ci++ {
				row := (b*ch + ci) * s
				for i, gv := range dy.F32[row : row+s] {
					dx.F32[row+i] = gv * k[ci]
				}
			}
		}
	} else {
		nn.BatchNormInputGrad(dx.F32, dy.F32, x.F32, sv.mean, sv.invStd, k, meanG, meanGX, n, ch, s)
	}
	return []*tensor.Tensor{dx, dScale, dBias}, nil
}
