package qcqp

import (
	"fmt"
	"math"
)

// Map is one feature map whose channels share a mask: every tensor tied to
// it (through BatchNormalization, activations, pooling, a residual Add)
// keeps the same channels.
type Map struct {
	Name     string
	Channels int
	// Fixed maps keep every channel (the network input, the logits, maps
	// the analysis could not follow).
	Fixed bool
	// Min is the fewest channels a selection may keep (below 1: one). A
	// floor keeps the solver from narrowing a map that the objective
	// values little but the network needs (SetMinKeep).
	Min int
}

// Floor is the fewest channels a selection keeps of the map: all of a
// fixed map, Min (at least one) of another.
func (m *Map) Floor() int {
	if m.Fixed {
		return m.Channels
	}
	return max(1, min(m.Min, m.Channels))
}

// DefaultMinKeep is the floor share pare prune, pare compress and the page
// use unless told otherwise (FitMinKeep lowers it where the budgets
// cannot pay for it). Measured on Pare's Fashion-MNIST nets at 50 % of
// their MACs (docs/pruning.md, "A floor on each layer"): the exact optimum
// without a floor keeps 1 of the 16 channels of a stem and, fine-tuned,
// is 0.7-3.5 points less accurate than with this floor.
const DefaultMinKeep = 0.25

// FitMinKeep sets the largest floor share up to most, in steps of one per
// cent, that the constraints can pay for (CheckReachable), and returns it:
// zero (one channel per map) when none can be paid. Call it after every
// constraint is in place.
func (p *Problem) FitMinKeep(most float64) (float64, error) {
	if math.IsNaN(most) || most < 0 || most > 1 {
		return 0, fmt.Errorf("qcqp: a kept share of %v is not between 0 and 1", most)
	}
	for pct := math.Round(100 * most); pct > 0; pct-- {
		if err := p.SetMinKeep(pct / 100); err != nil {
			return 0, err
		}
		if p.CheckReachable() == nil {
			return pct / 100, nil
		}
	}
	return 0, p.SetMinKeep(0)
}

// SetMinKeep sets every prunable map's floor to the share of its channels
// (rounded up); 0 leaves one channel as the only floor.
func (p *Problem) SetMinKeep(share float64) error {
	if math.IsNaN(share) || share < 0 || share > 1 {
		return fmt.Errorf("qcqp: a kept share of %v is not between 0 and 1", share)
	}
	for m := range p.Maps {
		mp := &p.Maps[m]
		mp.Min = max(1, int(math.Ceil(share*float64(mp.Channels)-1e-9)))
	}
	return nil
}

// Layer is one objective term: a conv or linear layer reading the
// concatenation of the maps In (a Concat feeds several) and writing the
// map Out.
//
// A dense layer's Importance is Out-channels x In-channels, row-major:
// Importance[j*nIn+i] is what keeping output j and input i is worth. A
// Diagonal layer (depthwise conv: input channel i feeds output i only) has
// In == []int{Out} and one entry per channel.
type Layer struct {
	Name       string
	In         []int
	Out        int
	Diagonal   bool
	Importance []float64
}

// Term is coef * n[A] * n[B] (B >= 0), coef * n[A] (B < 0), where n is a
// map's kept-channel count.
type Term struct {
	A, B int
	Coef float64
}

// Constraint is Const + sum of Terms <= Budget.
type Constraint struct {
	Name   string
	Const  float64
	Terms  []Term
	Budget float64
}

// Problem is a channel-selection instance.
type Problem struct {
	Maps        []Map
	Layers      []Layer
	Constraints []Constraint
}

// InWidth is the number of input channels a layer reads: the sum of its
// input maps' channels.
func (p *Problem) InWidth(l *Layer) int {
	n := 0
	for _, m := range l.In {
		n += p.Maps[m].Channels
	}
	return n
}

// Validate checks that indices, sizes and numbers are consistent, so that
// solvers may index without checks.
func (p *Problem) Validate() error {
	for i, m := range p.Maps {
		if m.Channels < 1 {
			return fmt.Errorf("qcqp: map %d (%s) has %d channels", i, m.Name, m.Channels)
		}
		if m.Min > m.Channels {
			return fmt.Errorf("qcqp: map %d (%s) must keep %d of its %d channels", i, m.Name, m.Min, m.Channels)
		}
	}
	for k := range p.Layers {
		l := &p.Layers[k]
		if l.Out < 0 || l.Out >= len(p.Maps) {
			return fmt.Errorf("qcqp: layer %s writes map %d of %d", l.Name, l.Out, len(p.Maps))
		}
		if len(l.In) == 0 {
			return fmt.Errorf("qcqp: layer %s reads no map", l.Name)
		}
		for _, m := range l.In {
			if m < 0 || m >= len(p.Maps) {
				return fmt.Errorf("qcqp: layer %s reads map %d of %d", l.Name, m, len(p.Maps))
			}
		}
		want := p.Maps[l.Out].Channels * p.InWidth(l)
		if l.Diagonal {
			if len(l.In) != 1 || l.In[0] != l.Out {
				return fmt.Errorf("qcqp: diagonal layer %s must read and write one map", l.Name)
			}
			want = p.Maps[l.Out].Channels
		}
		if len(l.Importance) != want {
			return fmt.Errorf("qcqp: layer %s has %d importance entries, want %d", l.Name, len(l.Importance), want)
		}
		for _, v := range l.Importance {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("qcqp: layer %s has importance %v (must be finite and >= 0)", l.Name, v)
			}
		}
	}
	for _, c := range p.Constraints {
		if math.IsNaN(c.Budget) || math.IsNaN(c.Const) {
			return fmt.Errorf("qcqp: constraint %s has NaN", c.Name)
		}
		for _, t := range c.Terms {
			if t.A < 0 || t.A >= len(p.Maps) || t.B >= len(p.Maps) {
				return fmt.Errorf("qcqp: constraint %s names map %d/%d of %d", c.Name, t.A, t.B, len(p.Maps))
			}
			if math.IsNaN(t.Coef) || math.IsInf(t.Coef, 0) {
				return fmt.Errorf("qcqp: constraint %s has coefficient %v", c.Name, t.Coef)
			}
		}
	}
	return nil
}

// Cost evaluates constraint c at the channel counts n (one per map).
func (c *Constraint) Cost(n []int) float64 {
	s := c.Const
	for _, t := range c.Terms {
		v := t.Coef * float64(n[t.A])
		if t.B >= 0 {
			v *= float64(n[t.B])
		}
		s += v
	}
	return s
}

// Selection is a mask per map: Keep[m][i] reports whether channel i of
// map m is kept.
type Selection struct {
	Keep [][]bool
}

// Counts returns the kept-channel count of every map.
func (s *Selection) Counts() []int {
	n := make([]int, len(s.Keep))
	for m, k := range s.Keep {
		for _, on := range k {
			if on {
				n[m]++
			}
		}
	}
	return n
}

// Objective is the sum over layers of the importance of the weights whose
// input and output channels are both kept.
func (p *Problem) Objective(s *Selection) float64 {
	var total float64
	for k := range p.Layers {
		l := &p.Layers[k]
		out := s.Keep[l.Out]
		if l.Diagonal {
			for j, on := range out {
				if on {
					total += l.Importance[j]
				}
			}
			continue
		}
		nIn := p.InWidth(l)
		for j, on := range out {
			if !on {
				continue
			}
			row := l.Importance[j*nIn : (j+1)*nIn]
			i := 0
			for _, m := range l.In {
				for _, in := range s.Keep[m] {
					if in {
						total += row[i]
					}
					i++
				}
			}
		}
	}
	return total
}

// Feasible reports whether s keeps every channel of fixed maps, at least
// each map's floor (one channel, or Min), and meets every constraint; when not, the
// error says which rule fails.
func (p *Problem) Feasible(s *Selection) error {
	if len(s.Keep) != len(p.Maps) {
		return fmt.Errorf("qcqp: selection has %d maps, problem %d", len(s.Keep), len(p.Maps))
	}
	n := s.Counts()
	for m, mp := range p.Maps {
		if len(s.Keep[m]) != mp.Channels {
			return fmt.Errorf("qcqp: map %s: mask of %d, want %d", mp.Name, len(s.Keep[m]), mp.Channels)
		}
		if mp.Fixed && n[m] != mp.Channels {
			return fmt.Errorf("qcqp: fixed map %s keeps %d of %d channels", mp.Name, n[m], mp.Channels)
		}
		if n[m] < 1 {
			return fmt.Errorf("qcqp: map %s keeps no channel", mp.Name)
		}
		if f := mp.Floor(); n[m] < f {
			return fmt.Errorf("qcqp: map %s keeps %d channels, below its floor of %d", mp.Name, n[m], f)
		}
	}
	for i := range p.Constraints {
		c := &p.Constraints[i]
		if v := c.Cost(n); v > c.Budget {
			return fmt.Errorf("qcqp: %s is %g, over its budget %g", c.Name, v, c.Budget)
		}
	}
	return nil
}
