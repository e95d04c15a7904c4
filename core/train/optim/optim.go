package optim

import "fmt"

// Var is one parameter: its values and the gradient of the last backward
// pass, the same length.
type Var struct {
	Name  string
	Value []float32
	Grad  []float32
}

// Group is a set of Vars sharing hyperparameters.
type Group struct {
	Name string
	Vars []*Var
	// LRScale multiplies the learning rate given to Step; 0 means 1.
	LRScale float64
	// WeightDecay adds WeightDecay*value to each gradient (L2), or with
	// Adam.Decoupled shrinks the values directly (AdamW).
	WeightDecay float64
}

func (g *Group) lr(base float64) float64 {
	if g.LRScale == 0 {
		return base
	}
	return base * g.LRScale
}

// Optimizer applies one update to its groups with base learning rate lr.
type Optimizer interface {
	Step(lr float64) error
}

func checkVar(v *Var) error {
	if len(v.Value) != len(v.Grad) {
		return fmt.Errorf("optim: %s has %d values but %d gradients", v.Name, len(v.Value), len(v.Grad))
	}
	return nil
}
