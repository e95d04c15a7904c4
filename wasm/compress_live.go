package main

import (
	"math"
	"strings"
	"time"

	"github.com/pare-ml/pare/compress"
	"github.com/pare-ml/pare/qil"
	"github.com/pare-ml/pare/wasm/liveview/scene"
)

// liveEvery is how often a Compress progress message carries the live
// view's masks and layers. Each layer's histogram is a pass over its
// weights and the lot crosses the worker boundary as JSON, while the view
// needs no more than two frames a second to show the intervals move. A
// trained batch's point (a few numbers) goes with every message.
const liveEvery = 500 * time.Millisecond

// CompressLive is what a Compress progress message carries for the live
// view (www/js/liveview.js), when there is something new.
type CompressLive struct {
	// Masks are the solver's incumbent, when it changed since the last
	// masks sent.
	Masks []MapMask `json:"masks,omitempty"`
	// Layers are QIL's layers in graph order, each as the view's layer
	// message takes it: the histogram of its weights and, for a quantized
	// one, its weight and activation intervals, as training has left
	// them; a layer kept in float comes as such (Float, no intervals).
	Layers []scene.Layer `json:"layers,omitempty"`
	// Point is the batch the step trained (fine-tune or QIL).
	Point *compress.TrainStep `json:"point,omitempty"`
}

// liveFeed decides what each progress message carries.
type liveFeed struct {
	every time.Duration
	now   func() time.Time
	last  time.Time // when masks or layers last went
	doing string    // the sub-step of the last message
	masks string    // the masks last sent, joined
	// The QIL run and its batch count when its layers last went.
	layersOf *qil.Run
	layersAt int
}

func newLiveFeed(now func() time.Time) *liveFeed {
	if now == nil {
		now = time.Now
	}
	return &liveFeed{every: liveEvery, now: now}
}

// next is the live part of the message after a Step (nil: nothing new).
// Masks and layers go at most every f.every, and also when a sub-step or
// a stage has just ended, so that the view ends on the search's final
// selection and the trained intervals; each only when it changed.
func (f *liveFeed) next(p *compress.Pipeline, stageDone bool) *CompressLive {
	w := p.Watch()
	var out CompressLive
	if b := w.Train; b != nil && allFinite(b.Loss, b.Accuracy) {
		// (JSON has no NaN: a diverged batch, which the fine-tune then
		// retries, is left out.)
		out.Point = b
	}
	now := f.now()
	due := now.Sub(f.last) >= f.every || stageDone || p.Doing() != f.doing
	f.doing = p.Doing()
	if due {
		if w.Selection != nil && w.Analysis != nil {
			m := masksOf(w.Analysis, w.Selection)
			if key := maskKey(m); key != f.masks {
				out.Masks, f.masks, f.last = m, key, now
			}
		}
		if w.QIL != nil && (w.QIL != f.layersOf || w.Trained != f.layersAt) {
			out.Layers = liveLayers(w.QIL)
			f.layersOf, f.layersAt, f.last = w.QIL, w.Trained, now
		}
	}
	if out.Point == nil && out.Masks == nil && out.Layers == nil {
		return nil
	}
	return &out
}

func maskKey(m []MapMask) string {
	var b strings.Builder
	for _, x := range m {
		b.WriteString(x.Name)
		b.WriteByte(':')
		b.WriteString(x.Mask)
		b.WriteByte(';')
	}
	return b.String()
}

// liveLayers are run's layers with their weights' histograms, and the
// quantized ones' current intervals, in the view's own message form.
func liveLayers(run *qil.Run) []scene.Layer {
	var out []scene.Layer
	for _, l := range run.Layers() {
		w := run.Weights(l)
		if len(w) == 0 {
			continue
		}
		iv, ok := run.Intervals(l)
		if l.Quantized() && !ok {
			continue
		}
		if !allFinite(float64(iv.WC), float64(iv.WD), float64(iv.Gamma), float64(iv.XC), float64(iv.XD)) {
			continue // JSON has no NaN; QIL stops on a diverged step anyway
		}
		// A layer with per-channel weight intervals (the default) has
		// one per output channel (iv.Channels); the view draws their
		// mean over the layer's histogram, as one interval.
		values := make([]float64, len(w))
		for i, x := range w {
			values[i] = float64(x)
		}
		h := histogramOf(values)
		if !(h.Max > h.Min) { // one value: a range the view can draw
			h.Min, h.Max = h.Min-0.5, h.Max+0.5
		}
		bins := make([]float64, len(h.Counts))
		for i, c := range h.Counts {
			bins[i] = float64(c)
		}
		layer := scene.Layer{Name: l.Node, Bins: bins, Min: h.Min, Max: h.Max, Float: !l.Quantized()}
		if l.Quantized() {
			layer.Weight = &scene.Interval{C: float64(iv.WC), D: float64(iv.WD), Gamma: float64(iv.Gamma), Bits: l.Bits.W}
			layer.Act = &scene.Interval{C: float64(iv.XC), D: float64(iv.XD), Bits: l.Bits.A, Signed: l.Signed}
		}
		out = append(out, layer)
	}
	return out
}

func allFinite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
