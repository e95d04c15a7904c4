package optim

// SGD is stochastic gradient descent with optional momentum, Nesterov
// momentum and L2 weight decay, with PyTorch's update rule:
//
//	g = grad + decay*w
//	buf = momentum*buf + g      (buf = g on the first step)
//	w -= lr * (nesterov ? g + momentum*buf : buf)
type SGD struct {
	Momentum float64
	Nesterov bool
	Groups   []*Group

	velocity map[*Var][]float32
}

// Step applies one update.
func (o *SGD) Step(lr float64) error {
	if o.velocity == nil {
		o.velocity = map[*Var][]float32{}
	}
	mom := float32(o.Momentum)
	for _, g := range o.Groups {
		rate := float32(g.lr(lr))
		decay := float32(g.WeightDecay)
		for _, v := range g.Vars {
			if err := checkVar(v); err != nil {
				return err
			}
			if mom == 0 {
				for i, gr := range v.Grad {
					v.Value[i] -= rate * (gr + decay*v.Value[i])
				}
				continue
			}
			buf, seen := o.velocity[v]
			if !seen {
				buf = make([]float32, len(v.Value))
				o.velocity[v] = buf
			}
			for i, gr := range v.Grad {
				gr += decay * v.Value[i]
				if seen {
					buf[i] = mom*buf[i] + gr
				} else {
					buf[i] = gr
				}
				if o.Nesterov {
					v.Value[i] -= rate * (gr + mom*buf[i])
				} else {
					v.Value[i] -= rate * buf[i]
				}
			}
		}
	}
	return nil
}
