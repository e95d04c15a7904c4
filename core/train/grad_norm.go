package train

import (
	"fmt"
	"math"

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
	s0 := s
	eps := nd.AttrFloat("epsilon", 1e-5)
	momentum := nd.AttrFloat("momentum", 0.9)
	scale, bias, rMean, rVar := in[1].F32, in[2].F32, in[3].F32, in[4].F32
	sv := &bnSaved{mean: make([]float32, ch), invStd: make([]float32, ch)}
	sv.batchStats = mode == ModeTrain && !net.opt.FreezeBatchNorm
	y := net.pool.get(phaseForward, x.Shape, false) // every element is written below
	var batchVar []float32
	if sv.batchStats {
		batchVar = make([]float32, ch)
		m := float64(n * s)
		for c := 0; c < ch; c++ {
			// One pass for both moments (planeMoments): BN's passes
			// over the activations dominate its time in wasm.
			var sum, sumSq float64
			for b := 0; b < n; b++ {
				s1, s2 := planeMoments(x.F32[(b*ch+c)*s0 : (b*ch+c+1)*s0])
				sum += s1
				sumSq += s2
			}
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
	} else {
		for c := 0; c < ch; c++ {
			sv.mean[c] = rMean[c]
			sv.invStd[c] = float32(1 / math.Sqrt(float64(rVar[c])+float64(eps)))
		}
	}
	fuseRelu := net.fusedRelu[nd] != nil
	for b := 0; b < n; b++ {
		for c := 0; c < ch; c++ {
			k := scale[c] * sv.invStd[c]
			off := bias[c] - sv.mean[c]*k
			row := (b*ch + c) * s
			ys, xs := y.F32[row:row+s], x.F32[row:row+s]
			if fuseRelu {
				for i, v := range xs {
					ys[i] = relu(v*k + off)
				}
				continue
			}
			for i, v := range xs {
				ys[i] = v*k + off
			}
		}
	}
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
	if !c.ownOut[0] || !sameShape(dy.Shape, x.Shape) {
		dx = c.net.pool.get(phaseBackward, x.Shape, false) // every element is written below
	}
	dScale := tensor.New(tensor.Float32, []int{ch})
	dBias := tensor.New(tensor.Float32, []int{ch})
	m := float32(n * s)
	for ci := 0; ci < ch; ci++ {
		mean, inv := sv.mean[ci], sv.invStd[ci]
		var sumG, sumGX float64
		for b := 0; b < n; b++ {
			row := (b*ch + ci) * s
			sg, sgx := planeGradSums(dy.F32[row:row+s], x.F32[row:row+s], mean)
			sumG += sg
			sumGX += sgx * float64(inv)
		}
		dBias.F32[ci] = float32(sumG)
		dScale.F32[ci] = float32(sumGX)
		k := scale[ci] * inv
		if !sv.batchStats {
			for b := 0; b < n; b++ {
				row := (b*ch + ci) * s
				for i, gv := range dy.F32[row : row+s] {
					dx.F32[row+i] = gv * k
				}
			}
			continue
		}
		meanG := float32(sumG) / m
		meanGX := float32(sumGX) / m
		for b := 0; b < n; b++ {
			row := (b*ch + ci) * s
			g, xs, d := dy.F32[row:row+s], x.F32[row:row+s], dx.F32[row:row+s]
			for i, gv := range g {
				xhat := (xs[i] - mean) * inv
				d[i] = k * (gv - meanG - xhat*meanGX)
			}
		}
	}
	return []*tensor.Tensor{dx, dScale, dBias}, nil
}

// blockLen is how many values the float32 partial sums below take before
// flushing into float64: short enough that float32 rounding stays near
// 1e-6 relative, long enough to run at float32 speed with four
// independent accumulators (wasm has no vector code from Go; breaking the
// dependency chain is what makes these loops fast).
const blockLen = 256

// planeMoments returns the sum and the sum of squares of xs. With float64
// totals, E[x^2] - E[x]^2 loses nothing that matters unless |mean| exceeds
// the standard deviation by a factor of 10^3.
func planeMoments(xs []float32) (sum, sumSq float64) {
	for len(xs) > 0 {
		blk := xs[:min(blockLen, len(xs))]
		xs = xs[len(blk):]
		var a0, a1, a2, a3, q0, q1, q2, q3 float32
		i := 0
		for ; i+4 <= len(blk); i += 4 {
			v := blk[i : i+4 : i+4]
			a0 += v[0]
			a1 += v[1]
			a2 += v[2]
			a3 += v[3]
			q0 += v[0] * v[0]
			q1 += v[1] * v[1]
			q2 += v[2] * v[2]
			q3 += v[3] * v[3]
		}
		for ; i < len(blk); i++ {
			a0 += blk[i]
			q0 += blk[i] * blk[i]
		}
		sum += float64(a0+a1) + float64(a2+a3)
		sumSq += float64(q0+q1) + float64(q2+q3)
	}
	return sum, sumSq
}

// planeGradSums returns sum(g) and sum(g * (x - mean)).
func planeGradSums(g, xs []float32, mean float32) (sumG, sumGX float64) {
	xs = xs[:len(g)]
	for len(g) > 0 {
		n := min(blockLen, len(g))
		gb, xb := g[:n], xs[:n]
		g, xs = g[n:], xs[n:]
		var a0, a1, a2, a3, b0, b1, b2, b3 float32
		i := 0
		for ; i+4 <= n; i += 4 {
			gv, xv := gb[i:i+4:i+4], xb[i:i+4:i+4]
			a0 += gv[0]
			a1 += gv[1]
			a2 += gv[2]
			a3 += gv[3]
			b0 += gv[0] * (xv[0] - mean)
			b1 += gv[1] * (xv[1] - mean)
			b2 += gv[2] * (xv[2] - mean)
			b3 += gv[3] * (xv[3] - mean)
		}
		for ; i < n; i++ {
			a0 += gb[i]
			b0 += gb[i] * (xb[i] - mean)
		}
		sumG += float64(a0+a1) + float64(a2+a3)
		sumGX += float64(b0+b1) + float64(b2+b3)
	}
	return sumG, sumGX
}
