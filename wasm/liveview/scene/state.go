package scene

// State is everything the view shows.
type State struct {
	Masks  []Mask
	Status string
	// Layers are kept in arrival order; Selected indexes the one shown in
	// the histogram and transfer panels.
	Layers   []Layer
	Selected int
	// chosen: the person has moved the selection. Until then it stays on
	// the first quantized layer, the one with a grid and intervals to
	// watch (the first layer of a net is by default kept in float).
	chosen bool
	Series map[string][]Point
	// Version counts changes, so the front end redraws only when needed.
	Version int
}

// Point is one (step, value) sample of a curve.
type Point struct{ X, Y float64 }

// NewState is an empty view.
func NewState() *State { return &State{Series: map[string][]Point{}} }

// Apply folds m into s.
func (s *State) Apply(m Message) {
	s.Version++
	switch m.Kind {
	case "reset":
		*s = State{Series: map[string][]Point{}, Version: s.Version}
	case "masks":
		s.Masks, s.Status = m.Masks, m.Status
	case "layer":
		defer s.selectFirstQuantized()
		for i := range s.Layers {
			if s.Layers[i].Name == m.Layer.Name {
				s.Layers[i] = *m.Layer
				return
			}
		}
		if len(s.Layers) < maxLayers {
			s.Layers = append(s.Layers, *m.Layer)
		}
	case "point":
		p := s.Series[m.Series]
		if len(p) >= maxPoints {
			// Keep every other point: the curve's shape stays, its memory
			// is bounded.
			half := p[:0]
			for i := 0; i < len(p); i += 2 {
				half = append(half, p[i])
			}
			p = half
		}
		s.Series[m.Series] = append(p, Point{m.X, m.Y})
	}
}

// Select moves the histogram and transfer panels to the next (+1) or
// previous (-1) layer.
func (s *State) Select(delta int) {
	if len(s.Layers) == 0 {
		return
	}
	s.Selected = ((s.Selected+delta)%len(s.Layers) + len(s.Layers)) % len(s.Layers)
	s.chosen = true
	s.Version++
}

func (s *State) selectFirstQuantized() {
	if s.chosen {
		return
	}
	for i, l := range s.Layers {
		if !l.Float {
			s.Selected = i
			return
		}
	}
	s.Selected = 0
}

func (s *State) layer() *Layer {
	if s.Selected < 0 || s.Selected >= len(s.Layers) {
		return nil
	}
	return &s.Layers[s.Selected]
}
