package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/nn"
)

// KeepZeroTaps returns an OnGradients hook that keeps every all-zero
// kernel tap of the net's conv weights at zero, and how many taps it
// holds. A tap is W[j,:,t]: tap t of filter j over all its input
// channels. Kernel-shape pruning (qcqp, --granularity shape) removes taps
// by zeroing them, and fine-tuning must not bring them back: the hook
// zeroes their gradients, so with no weight decay on a zero weight
// (decay times zero) every optimizer's update of them is exactly zero
// from the first step (Adam's moments stay zero, SGD's momentum too).
// It returns nil when there is no zero tap.
func KeepZeroTaps(net *Net) (func(*Net) error, int) {
	type zeroTap struct {
		p               *Param
		filter, tap     int
		inputs, perTaps int
	}
	var taps []zeroTap
	for _, p := range net.Params {
		if p.Frozen || len(p.Value.Shape) < 3 || !convWeight(net, p) {
			continue
		}
		sh := p.Value.Shape
		k := 1
		for _, d := range sh[2:] {
			k *= d
		}
		if k <= 1 {
			continue
		}
		for _, ft := range nn.ZeroTaps(p.Value.F32, sh[0], sh[1], k) {
			taps = append(taps, zeroTap{p: p, filter: ft / k, tap: ft % k, inputs: sh[1], perTaps: k})
		}
	}
	if len(taps) == 0 {
		return nil, 0
	}
	return func(*Net) error {
		for _, z := range taps {
			g := z.p.Grad
			if g == nil || len(g.F32) != len(z.p.Value.F32) {
				return fmt.Errorf("train: %s has no gradient of its shape to mask", z.p.Name)
			}
			for c := range z.inputs {
				g.F32[(z.filter*z.inputs+c)*z.perTaps+z.tap] = 0
			}
		}
		return nil
	}, len(taps)
}

// convWeight reports whether every reader of p uses it as a Conv weight,
// directly or through one element-wise node in between (a weight
// quantizer such as qil's QILWeight, which maps zero to zero).
func convWeight(net *Net, p *Param) bool {
	if len(p.Users) == 0 {
		return false
	}
	isWeight := func(name string) bool {
		found := false
		for _, nd := range net.order {
			for i, in := range nd.Input {
				if in != name {
					continue
				}
				if nd.OpType != "Conv" || i != 1 {
					return false
				}
				found = true
			}
		}
		return found
	}
	for _, u := range p.Users {
		switch {
		case u.Node.OpType == "Conv" && u.Input == 1:
		case u.Input == 0 && len(u.Node.Output) == 1 && isWeight(u.Node.Output[0]):
		default:
			return false
		}
	}
	return true
}

// chainGradients runs a, then b (either may be nil).
func chainGradients(a, b func(*Net) error) func(*Net) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(n *Net) error {
		if err := a(n); err != nil {
			return err
		}
		return b(n)
	}
}
