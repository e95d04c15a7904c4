package qcqp

import (
	"math"
	"testing"
)

// twoLayer is input(2, fixed) -> conv A (3) -> conv B -> logits(2, fixed).
func twoLayer() *Problem {
	return &Problem{
		Maps: []Map{{Name: "in", Channels: 2, Fixed: true}, {Name: "a", Channels: 3}, {Name: "out", Channels: 2, Fixed: true}},
		Layers: []Layer{
			{Name: "convA", In: []int{0}, Out: 1, Importance: []float64{1, 2, 3, 4, 5, 6}},
			{Name: "convB", In: []int{1}, Out: 2, Importance: []float64{1, 1, 1, 2, 2, 2}},
		},
		Constraints: []Constraint{{Name: "macs", Terms: []Term{{A: 0, B: 1, Coef: 10}, {A: 1, B: 2, Coef: 1}}, Budget: 50}},
	}
}

func TestObjectiveCountsOnlyActiveWeights(t *testing.T) {
	p := twoLayer()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	s := &Selection{Keep: [][]bool{{true, true}, {true, false, true}, {true, true}}}
	// convA rows 0 and 2: 1+2+5+6; convB columns 0 and 2: 1+1+2+2.
	if got, want := p.Objective(s), 14.0+6.0; got != want {
		t.Fatalf("objective %v, want %v", got, want)
	}
	if got := p.Constraints[0].Cost(s.Counts()); got != 2*2*10+2*2 {
		t.Fatalf("cost %v", got)
	}
	if err := p.Feasible(s); err != nil {
		t.Fatal(err)
	}
	s.Keep[1][1] = true
	if err := p.Feasible(s); err == nil {
		t.Fatal("over budget accepted")
	}
	s.Keep[0][0] = false
	if err := p.Feasible(s); err == nil {
		t.Fatal("a fixed map lost a channel and was accepted")
	}
}

func TestValidateRejects(t *testing.T) {
	for name, edit := range map[string]func(p *Problem){
		"short importance": func(p *Problem) { p.Layers[0].Importance = p.Layers[0].Importance[:5] },
		"negative":         func(p *Problem) { p.Layers[1].Importance[0] = -1 },
		"NaN":              func(p *Problem) { p.Layers[1].Importance[0] = math.NaN() },
		"bad map":          func(p *Problem) { p.Layers[0].Out = 7 },
		"bad term":         func(p *Problem) { p.Constraints[0].Terms[0].B = 9 },
		"empty map":        func(p *Problem) { p.Maps[1].Channels = 0 },
		"bad diagonal":     func(p *Problem) { p.Layers[0].Diagonal = true },
	} {
		p := twoLayer()
		edit(p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
