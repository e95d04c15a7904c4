package optim

import "math"

// Adam is the Adam optimizer (Kingma and Ba) with bias correction. With
// Decoupled, weight decay shrinks the values by lr*decay each step
// (AdamW, Loshchilov and Hutter) instead of entering the gradient.
// Zero Beta1, Beta2 and Eps take the usual 0.9, 0.999 and 1e-8.
type Adam struct {
	Beta1, Beta2, Eps float64
	Decoupled         bool
	Groups            []*Group

	t     int
	first map[*Var][]float32
	sec   map[*Var][]float32
}

// Step applies one update.
func (o *Adam) Step(lr float64) error {
	b1, b2, eps := o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	if o.first == nil {
		o.first, o.sec = map[*Var][]float32{}, map[*Var][]float32{}
	}
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	for _, g := range o.Groups {
		rate := g.lr(lr)
		decay := float32(g.WeightDecay)
		// Fold the bias corrections into one step size and epsilon.
		step := float32(rate * math.Sqrt(c2) / c1)
		epsHat := float32(eps * math.Sqrt(c2))
		shrink := float32(1 - rate*g.WeightDecay)
		for _, v := range g.Vars {
			if err := checkVar(v); err != nil {
				return err
			}
			m, ok := o.first[v]
			if !ok {
				m = make([]float32, len(v.Value))
				o.first[v] = m
				o.sec[v] = make([]float32, len(v.Value))
			}
			s := o.sec[v]
			for i, gr := range v.Grad {
				if o.Decoupled {
					v.Value[i] *= shrink
				} else {
					gr += decay * v.Value[i]
				}
				m[i] = float32(b1)*m[i] + float32(1-b1)*gr
				s[i] = float32(b2)*s[i] + float32(1-b2)*gr*gr
				v.Value[i] -= step * m[i] / (float32(math.Sqrt(float64(s[i]))) + epsHat)
			}
		}
	}
	return nil
}
