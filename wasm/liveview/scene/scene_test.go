package scene

import (
	"math"
	"strings"
	"testing"
)

func TestDecodeRejectsWhatCannotBeDrawn(t *testing.T) {
	for name, msg := range map[string]string{
		"not JSON":          `{"kind":`,
		"unknown kind":      `{"kind":"explode"}`,
		"bad mask":          `{"kind":"masks","masks":[{"name":"a","kept":"1021"}]}`,
		"no layer":          `{"kind":"layer"}`,
		"empty range":       `{"kind":"layer","layer":{"name":"a","bins":[1,2],"min":1,"max":1}}`,
		"zero bits":         `{"kind":"layer","layer":{"name":"a","weight":{"c":0.1,"d":0.1,"bits":0}}}`,
		"negative d":        `{"kind":"layer","layer":{"name":"a","act":{"c":1,"d":-1,"bits":4}}}`,
		"float with a grid": `{"kind":"layer","layer":{"name":"a","float":true,"weight":{"c":0.1,"d":0.1,"bits":4}}}`,
		"too many bins":     `{"kind":"layer","layer":{"name":"a","min":0,"max":1,"bins":[` + strings.Repeat("1,", maxBins) + `1]}}`,
	} {
		if _, err := Decode([]byte(msg)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	m, err := Decode([]byte(`{"kind":"masks","status":"gap 0","masks":[{"name":"conv1","kept":"1101"}]}`))
	if err != nil || len(m.Masks) != 1 || m.Masks[0].Kept != "1101" {
		t.Fatalf("good message: %+v, %v", m, err)
	}
}

func TestTransformersMatchThePaper(t *testing.T) {
	iv := Interval{C: 0.3, D: 0.2, Gamma: 1, Bits: 4}
	cases := []struct{ w, want float64 }{
		{0.05, 0}, {-0.05, 0}, // |w| < c-d: pruned
		{0.1, 0}, {0.5, 1}, // the interval's ends
		{0.3, 0.5}, {-0.3, -0.5}, // its centre
		{0.9, 1}, {-0.9, -1}, // clipped
	}
	for _, c := range cases {
		if got := TransformWeight(c.w, iv); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("TransformWeight(%v) = %v, want %v", c.w, got, c.want)
		}
	}
	iv.Gamma = 2
	if got := TransformWeight(0.3, iv); math.Abs(got-0.25) > 1e-12 {
		t.Errorf("gamma 2 at the centre: %v, want 0.25", got)
	}
	a := Interval{C: 1, D: 1, Bits: 2}
	for _, c := range []struct{ x, want float64 }{{-1, 0}, {0, 0}, {1, 0.5}, {2, 1}, {5, 1}} {
		if got := TransformAct(c.x, a); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("TransformAct(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// A signed activation quantizer (its input not behind a ReLU) maps
	// |x| and keeps the sign, as qil's QILAct with signed=1.
	a.Signed = true
	for _, c := range []struct{ x, want float64 }{{-5, -1}, {-1, -0.5}, {-0.5, -0.25}, {0, 0}, {1, 0.5}, {2, 1}} {
		if got := TransformAct(c.x, a); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("signed TransformAct(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	// 2-bit weights are ternary; 2-bit activations have 4 levels.
	if Levels(2, true) != 1 || Levels(2, false) != 3 || Levels(8, true) != 127 {
		t.Fatal("level counts")
	}
	seen := map[float64]bool{}
	for w := -1.0; w <= 1; w += 0.01 {
		seen[Discretize(TransformWeight(w, Interval{C: 0.3, D: 0.2, Gamma: 1, Bits: 2}), 1)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("2-bit weights take %d values, want 3", len(seen))
	}
}

func TestWeightGridIsWhereTheOutputSteps(t *testing.T) {
	for _, iv := range []Interval{{C: 0.3, D: 0.2, Gamma: 1, Bits: 3}, {C: 0.5, D: 0.4, Gamma: 1.7, Bits: 4}} {
		q := Levels(iv.Bits, true)
		grid := WeightGrid(iv)
		if len(grid) != q {
			t.Fatalf("%+v: %d grid lines, want %d", iv, len(grid), q)
		}
		for _, g := range grid {
			below := Discretize(TransformWeight(g-1e-9, iv), q)
			above := Discretize(TransformWeight(g+1e-9, iv), q)
			if math.Abs(above-below-1/float64(q)) > 1e-9 {
				t.Errorf("%+v: at %v the output goes %v -> %v, not one level", iv, g, below, above)
			}
		}
	}
}

func count(l List, c RGBA) int {
	n := 0
	for _, r := range l.Rects {
		if r.Fill == c {
			n++
		}
	}
	return n
}

func TestMasksDrawOneCellPerChannel(t *testing.T) {
	s := NewState()
	s.Apply(Message{Kind: "masks", Masks: []Mask{{Name: "conv1", Kept: "1101"}, {Name: "conv2", Kept: strings.Repeat("10", 64)}}})
	l := Draw(s, 800, 600)
	if got := count(l, Kept); got != 3+64 {
		t.Fatalf("%d kept cells, want 67", got)
	}
	if got := count(l, Removed); got != 1+64 {
		t.Fatalf("%d removed cells, want 65", got)
	}
	for _, r := range l.Rects {
		if r.Fill == Kept && (r.X < 0 || r.X+r.W > 400 || r.Y+r.H > 300) {
			t.Fatalf("a cell leaves the masks panel: %+v", r)
		}
	}
	v := s.Version
	s.Apply(Message{Kind: "masks", Masks: []Mask{{Name: "conv1", Kept: "0001"}}})
	if s.Version == v || count(Draw(s, 800, 600), Kept) != 1 {
		t.Fatal("new masks not drawn")
	}
	if d := Describe(s); !strings.Contains(d, "1 of 4 kept over 1 layers") {
		t.Fatalf("description %q", d)
	}
}

func TestLayerPanelsAndSelection(t *testing.T) {
	s := NewState()
	iv := &Interval{C: 0.3, D: 0.2, Gamma: 1, Bits: 3}
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "a", Bins: []float64{1, 4, 9, 4, 1}, Min: -1, Max: 1, Weight: iv, Act: &Interval{C: 1, D: 1, Bits: 3}}})
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "b", Bins: []float64{2, 2}, Min: -1, Max: 1}})
	l := Draw(s, 800, 600)
	levels := 0
	for _, ln := range l.Lines {
		if ln.Colour == Level && ln.X0 == ln.X1 {
			levels++
		}
	}
	if levels != 2*Levels(3, true) {
		t.Fatalf("%d grid lines on the histogram, want %d", levels, 2*Levels(3, true))
	}
	if !strings.Contains(Describe(s), "Layer a (1 of 2): weights 3 bits, pruned below 0.1, clipped above 0.5") {
		t.Fatalf("description %q", Describe(s))
	}
	s.Select(1)
	if !strings.Contains(Describe(s), "Layer b (2 of 2)") {
		t.Fatalf("after selecting the next layer: %q", Describe(s))
	}
	s.Select(1)
	if s.Selected != 0 {
		t.Fatal("selection does not wrap")
	}
	// A layer sent again replaces itself (intervals move while training).
	iv2 := *iv
	iv2.D = 0.1
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "a", Weight: &iv2}})
	if len(s.Layers) != 2 || s.Layers[0].Weight.D != 0.1 {
		t.Fatal("updated layer appended instead of replaced")
	}
}

// A layer kept in float shows its weights without a grid or a quantizer,
// says so in the picture and the text; the view opens on the first
// quantized layer until a key moves it.
func TestFloatLayers(t *testing.T) {
	s := NewState()
	bins := []float64{1, 4, 9, 4, 1}
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "first", Bins: bins, Min: -0.9, Max: 0.8, Float: true}})
	if d := Describe(s); !strings.Contains(d, "Layers: 0 quantized, 1 kept in float.") || !strings.Contains(d, "Layer first (1 of 1): kept in float, no quantization grid; weights from -0.9 to 0.8") {
		t.Fatalf("description %q", d)
	}
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "mid", Bins: bins, Min: -1, Max: 1, Weight: &Interval{C: 0.3, D: 0.2, Gamma: 1, Bits: 4}, Act: &Interval{C: 1, D: 1, Bits: 4}}})
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "last", Bins: bins, Min: -2, Max: 2, Float: true}})
	if d := Describe(s); !strings.Contains(d, "Layers: 1 quantized, 2 kept in float.") || !strings.Contains(d, "Layer mid (2 of 3): weights 4 bits") {
		t.Fatalf("the view does not open on the quantized layer: %q", d)
	}
	s.Select(-1)
	l := Draw(s, 800, 600)
	for _, ln := range l.Lines {
		if (ln.Colour == Level || ln.Colour == Threshold) && ln.X0 > 400 && ln.Y1 < 300 {
			t.Fatalf("a grid or threshold line on the float layer's histogram: %+v", ln)
		}
	}
	if got := count(l, Muted); got != len(bins) {
		t.Errorf("%d histogram bars, want %d", got, len(bins))
	}
	var texts []string
	for _, x := range l.Texts {
		texts = append(texts, x.S)
	}
	all := strings.Join(texts, "|")
	if !strings.Contains(all, "kept in float: no grid, weights in [-0.9, 0.8]") || !strings.Contains(all, "(first is kept in float: no quantizer)") {
		t.Errorf("texts %q", all)
	}
	// Chosen by a key, the selection stays where it is as layers update.
	s.Apply(Message{Kind: "layer", Layer: &Layer{Name: "mid", Bins: bins, Min: -1, Max: 1, Weight: &Interval{C: 0.3, D: 0.1, Gamma: 1, Bits: 4}}})
	if !strings.Contains(Describe(s), "Layer first (1 of 3)") {
		t.Errorf("an update moved the chosen layer: %q", Describe(s))
	}
}

// A run that prunes nothing says so where the masks would be.
func TestNoPruningStatus(t *testing.T) {
	s := NewState()
	s.Apply(Message{Kind: "masks", Status: "no pruning: quantize only"})
	if d := Describe(s); d != "Channels: no pruning: quantize only." {
		t.Fatalf("description %q", d)
	}
	for _, x := range Draw(s, 800, 600).Texts {
		if x.S == "(no pruning yet)" {
			t.Fatal("the view waits for pruning that will not come")
		}
	}
}

func TestCurvesStayBounded(t *testing.T) {
	s := NewState()
	for i := 0; i < maxPoints+10; i++ {
		s.Apply(Message{Kind: "point", Series: "loss", X: float64(i), Y: 1 / float64(i+1)})
	}
	if n := len(s.Series["loss"]); n > maxPoints {
		t.Fatalf("%d points kept", n)
	}
	l := Draw(s, 800, 600)
	if len(l.Lines) > 2000 {
		t.Fatalf("%d line segments for one curve: not decimated", len(l.Lines))
	}
	if !strings.Contains(Describe(s), "loss") {
		t.Fatal("curve not described")
	}
	s.Apply(Message{Kind: "reset"})
	if Describe(s) != "Nothing to show yet." {
		t.Fatalf("after reset: %q", Describe(s))
	}
}
