package scene

import (
	"fmt"
	"math"
	"slices"
)

// RGBA is a straight-alpha colour.
type RGBA struct{ R, G, B, A uint8 }

// Palette colours of the view, close to the page's light theme.
var (
	Background = RGBA{0xff, 0xff, 0xff, 0xff}
	Ink        = RGBA{0x1d, 0x1f, 0x23, 0xff}
	Muted      = RGBA{0x9a, 0xa0, 0xaa, 0xff}
	Kept       = RGBA{0x2d, 0x6c, 0xdf, 0xff}
	Removed    = RGBA{0xdd, 0xe0, 0xe5, 0xff}
	Level      = RGBA{0xe0, 0x7a, 0x1f, 0xff}
	Threshold  = RGBA{0xc0, 0x27, 0x27, 0xff}
	LossColour = RGBA{0xc0, 0x27, 0x27, 0xff}
	AccColour  = RGBA{0x1f, 0x8a, 0x4c, 0xff}
)

// Rect, Line and Text are the display list's items, in pixels.
type Rect struct {
	X, Y, W, H float64
	Fill       RGBA
}

type Line struct {
	X0, Y0, X1, Y1, Width float64
	Colour                RGBA
}

type Text struct {
	X, Y int
	S    string
}

// List is what Draw produces.
type List struct {
	Rects []Rect
	Lines []Line
	Texts []Text
}

// panel is one quarter of the view.
type panel struct{ x, y, w, h float64 }

const (
	pad   = 8.0
	lineH = 16.0 // ebiten's debug font is 12 px high
)

// Draw lays the state out in a w x h view: channel masks top left, the
// selected layer's weight histogram with its quantization grid top right,
// the QIL transfer curves bottom left, loss and accuracy bottom right.
func Draw(s *State, w, h int) List {
	var l List
	fw, fh := float64(w), float64(h)
	l.Rects = append(l.Rects, Rect{0, 0, fw, fh, Background})
	hw, hh := fw/2, fh/2
	drawMasks(&l, s, panel{0, 0, hw, hh})
	drawHistogram(&l, s, panel{hw, 0, hw, hh})
	drawTransfer(&l, s, panel{0, hh, hw, hh})
	drawCurves(&l, s, panel{hw, hh, hw, hh})
	l.Lines = append(l.Lines, Line{hw, 0, hw, fh, 1, Removed}, Line{0, hh, fw, hh, 1, Removed})
	return l
}

func (l *List) text(x, y float64, format string, a ...any) {
	l.Texts = append(l.Texts, Text{int(x), int(y), fmt.Sprintf(format, a...)})
}

func drawMasks(l *List, s *State, p panel) {
	l.text(p.x+pad, p.y+pad, "Channels kept per layer")
	if s.Status != "" {
		l.text(p.x+pad, p.y+pad+lineH, "%s", s.Status)
	}
	top := p.y + pad + 2*lineH + 4
	if len(s.Masks) == 0 {
		if s.Status == "" { // a status alone says why there are none
			l.text(p.x+pad, top, "(no pruning yet)")
		}
		return
	}
	rowH := math.Max(1, math.Min(14, (p.h-top+p.y-pad)/float64(len(s.Masks))))
	labelW := 0.0
	if rowH >= 12 {
		labelW = 96
	}
	x0, cw := p.x+pad+labelW, p.w-2*pad-labelW
	for i, m := range s.Masks {
		y := top + float64(i)*rowH
		if y+rowH > p.y+p.h {
			break
		}
		if labelW > 0 {
			l.text(p.x+pad, y, "%s", clip(m.Name, 15))
		}
		n := len(m.Kept)
		if n == 0 {
			continue
		}
		cell := cw / float64(n)
		gap := 0.0
		if cell >= 4 {
			gap = 1
		}
		for j := 0; j < n; j++ {
			c := Removed
			if m.Kept[j] == '1' {
				c = Kept
			}
			l.Rects = append(l.Rects, Rect{x0 + float64(j)*cell, y + 1, math.Max(cell-gap, 0.5), rowH - 2, c})
		}
	}
}

func drawHistogram(l *List, s *State, p panel) {
	ly := s.layer()
	if ly == nil {
		l.text(p.x+pad, p.y+pad, "Weights (no layer yet)")
		return
	}
	l.text(p.x+pad, p.y+pad, "Weights of %s (%d of %d, arrows to change)", clip(ly.Name, 24), s.Selected+1, len(s.Layers))
	box := panel{p.x + pad, p.y + pad + lineH + 4, p.w - 2*pad, p.h - 2*pad - 2*lineH - 4}
	peak := 0.0
	for _, b := range ly.Bins {
		peak = math.Max(peak, b)
	}
	if n := len(ly.Bins); n > 0 && peak > 0 {
		bw := box.w / float64(n)
		for i, b := range ly.Bins {
			bh := box.h * b / peak
			l.Rects = append(l.Rects, Rect{box.x + float64(i)*bw, box.y + box.h - bh, math.Max(bw-0.5, 0.5), bh, Muted})
		}
	}
	xOf := func(v float64) float64 { return box.x + box.w*(v-ly.Min)/(ly.Max-ly.Min) }
	vline := func(v float64, c RGBA, width float64) {
		if v >= ly.Min && v <= ly.Max {
			x := xOf(v)
			l.Lines = append(l.Lines, Line{x, box.y, x, box.y + box.h, width, c})
		}
	}
	if iv := ly.Weight; iv != nil {
		for _, g := range WeightGrid(*iv) {
			vline(g, Level, 1)
			vline(-g, Level, 1)
		}
		for _, t := range []float64{iv.C - iv.D, iv.C + iv.D} {
			vline(t, Threshold, 2)
			vline(-t, Threshold, 2)
		}
		l.text(box.x, box.y+box.h+4, "%d-bit: prune |w|<%.3g, clip |w|>%.3g", iv.Bits, iv.C-iv.D, iv.C+iv.D)
	} else if ly.Float {
		l.text(box.x, box.y+box.h+4, "kept in float: no grid, weights in [%.3g, %.3g]", ly.Min, ly.Max)
	} else {
		l.text(box.x, box.y+box.h+4, "[%.3g, %.3g], not quantized", ly.Min, ly.Max)
	}
}

func drawTransfer(l *List, s *State, p panel) {
	ly := s.layer()
	l.text(p.x+pad, p.y+pad, "QIL transfer: input -> quantized output")
	if ly != nil && ly.Float {
		l.text(p.x+pad, p.y+pad+lineH+4, "(%s is kept in float: no quantizer)", clip(ly.Name, 24))
		return
	}
	if ly == nil || ly.Weight == nil && ly.Act == nil {
		l.text(p.x+pad, p.y+pad+lineH+4, "(no quantizer yet)")
		return
	}
	half := panel{p.x + pad, p.y + pad + lineH + 4, (p.w - 3*pad) / 2, p.h - 2*pad - 2*lineH - 4}
	if iv := ly.Weight; iv != nil {
		r := 1.25 * (iv.C + iv.D)
		plot(l, half, -r, r, -1, 1, func(x float64) float64 { return Discretize(TransformWeight(x, *iv), Levels(iv.Bits, true)) },
			func(x float64) float64 { return TransformWeight(x, *iv) })
		l.text(half.x, half.y+half.h+4, "weights, %d bits", iv.Bits)
	}
	if iv := ly.Act; iv != nil {
		a := half
		a.x += half.w + pad
		r := 1.25 * (iv.C + iv.D)
		lo, bottom := 0.0, 0.0
		if iv.Signed {
			lo, bottom = -r, -1
		}
		plot(l, a, lo, r, bottom, 1, func(x float64) float64 { return Discretize(TransformAct(x, *iv), Levels(iv.Bits, iv.Signed)) },
			func(x float64) float64 { return TransformAct(x, *iv) })
		l.text(a.x, a.y+a.h+4, "activations, %d bits", iv.Bits)
	}
}

// plot draws the staircase f (the quantized output) over the continuous
// transformer g, on [x0, x1] x [y0, y1] in box b.
func plot(l *List, b panel, x0, x1, y0, y1 float64, f, g func(float64) float64) {
	l.Lines = append(l.Lines,
		Line{b.x, b.y + b.h, b.x + b.w, b.y + b.h, 1, Muted},
		Line{b.x, b.y, b.x, b.y + b.h, 1, Muted})
	px := func(x float64) float64 { return b.x + b.w*(x-x0)/(x1-x0) }
	py := func(y float64) float64 { return b.y + b.h*(1-(y-y0)/(y1-y0)) }
	const steps = 160
	for _, fn := range []struct {
		f func(float64) float64
		c RGBA
		w float64
	}{{g, Muted, 1}, {f, Level, 2}} {
		prevX, prevY := x0, fn.f(x0)
		for i := 1; i <= steps; i++ {
			x := x0 + (x1-x0)*float64(i)/steps
			y := fn.f(x)
			l.Lines = append(l.Lines, Line{px(prevX), py(prevY), px(x), py(y), fn.w, fn.c})
			prevX, prevY = x, y
		}
	}
}

func drawCurves(l *List, s *State, p panel) {
	l.text(p.x+pad, p.y+pad, "Training")
	names := make([]string, 0, len(s.Series))
	for k := range s.Series {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) == 0 {
		l.text(p.x+pad, p.y+pad+lineH+4, "(no training yet)")
		return
	}
	box := panel{p.x + pad, p.y + pad + 2*lineH + 4, p.w - 2*pad, p.h - 2*pad - 3*lineH - 4}
	l.Lines = append(l.Lines, Line{box.x, box.y + box.h, box.x + box.w, box.y + box.h, 1, Muted})
	for k, name := range names {
		pts := s.Series[name]
		c := LossColour
		if name != "loss" {
			c = AccColour
		}
		last := pts[len(pts)-1]
		l.Texts = append(l.Texts, Text{int(p.x + pad + float64(k)*150), int(p.y + pad + lineH), fmt.Sprintf("%s %.4g", name, last.Y)})
		if len(pts) < 2 {
			continue
		}
		xmin, xmax, ymin, ymax := pts[0].X, pts[0].X, pts[0].Y, pts[0].Y
		for _, q := range pts {
			xmin, xmax = math.Min(xmin, q.X), math.Max(xmax, q.X)
			ymin, ymax = math.Min(ymin, q.Y), math.Max(ymax, q.Y)
		}
		if xmax == xmin {
			xmax = xmin + 1
		}
		if ymax == ymin {
			ymax, ymin = ymax+0.5, ymin-0.5
		}
		px := func(x float64) float64 { return box.x + box.w*(x-xmin)/(xmax-xmin) }
		py := func(y float64) float64 { return box.y + box.h*(1-(y-ymin)/(ymax-ymin)) }
		// At most one segment per pixel column: a long run stays cheap.
		stride := max(1, len(pts)/int(math.Max(box.w, 1)))
		for i := stride; i < len(pts); i += stride {
			a, b := pts[i-stride], pts[i]
			l.Lines = append(l.Lines, Line{px(a.X), py(a.Y), px(b.X), py(b.Y), 2, c})
		}
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "~" // the debug font has Latin-1 only
}
