package train

import "math"

// Reinitialize draws fresh weights, as for training from scratch: He
// (Kaiming) normal weights with standard deviation sqrt(2/fan_in), which
// keeps activations at a constant scale through ReLU layers; zero biases;
// BatchNormalization scale 1, shift 0, running mean 0 and variance 1;
// PRelu slopes 0.25. Other parameters (constants of Mul, Sub, Div, such as
// input normalisation) keep their values. The same seed gives the same
// weights on every platform.
func (n *Net) Reinitialize(seed int64) {
	r := newRNG(seed)
	for _, p := range n.Params {
		v := p.Value.F32
		switch p.Kind {
		case KindWeight:
			fan := p.FanIn
			if fan <= 0 && len(p.Value.Shape) > 0 {
				fan = p.Value.Len() / p.Value.Shape[0]
			}
			std := math.Sqrt(2 / float64(max(fan, 1)))
			for i := range v {
				v[i] = float32(r.normal() * std)
			}
		case KindBias, KindShift:
			clear(v)
		case KindScale:
			fill(v, 1)
		case KindSlope:
			fill(v, 0.25)
		}
	}
	for name := range n.stats {
		// Input 3 is the mean and 4 the variance; find which this is.
		fill(n.consts[name].F32, n.statInit(name))
	}
}

// statInit is 1 for a running variance and 0 for a running mean.
func (n *Net) statInit(name string) float32 {
	for _, nd := range n.order {
		if nd.OpType == "BatchNormalization" && len(nd.Input) > 4 && nd.Input[4] == name {
			return 1
		}
	}
	return 0
}

func fill(v []float32, x float32) {
	for i := range v {
		v[i] = x
	}
}
