package scene

import (
	"encoding/json"
	"fmt"
)

// Message is one update from the page, JSON-encoded.
//
//	{"kind":"reset"}
//	{"kind":"masks","status":"bound 0.93, gap 1.2 %","masks":[{"name":"conv1","kept":"1101..."}]}
//	{"kind":"layer","layer":{"name":"conv1","min":-0.4,"max":0.4,"bins":[...],
//	   "weight":{"c":0.1,"d":0.08,"gamma":1,"bits":4},"act":{"c":1.2,"d":1.1,"bits":4,"signed":false}}}
//	{"kind":"layer","layer":{"name":"conv0","min":-0.9,"max":0.8,"bins":[...],"float":true}}
//	{"kind":"point","series":"loss","x":120,"y":0.31}
type Message struct {
	Kind   string  `json:"kind"`
	Status string  `json:"status,omitempty"`
	Masks  []Mask  `json:"masks,omitempty"`
	Layer  *Layer  `json:"layer,omitempty"`
	Series string  `json:"series,omitempty"`
	X      float64 `json:"x,omitempty"`
	Y      float64 `json:"y,omitempty"`
}

// Mask is one layer's channels: Kept[i] is '1' for a kept channel, '0'
// for a removed one.
type Mask struct {
	Name string `json:"name"`
	Kept string `json:"kept"`
}

// Layer is what the view shows of one layer QIL quantizes, or of one it
// keeps in full precision (Float: its weights' histogram alone, no grid
// and no intervals).
type Layer struct {
	Name string `json:"name"`
	// Float marks a layer kept in float (by default the first and the
	// last: their weights are few and their errors the most harmful).
	Float bool `json:"float,omitempty"`
	// Bins count the layer's weights in equal bins over [Min, Max].
	Bins   []float64 `json:"bins"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Weight *Interval `json:"weight,omitempty"`
	Act    *Interval `json:"act,omitempty"`
}

// Interval is a QIL quantization interval: centre C and half-width D of the
// interval that is mapped onto the levels, Gamma the weight transformer's
// exponent, Bits the width. Signed marks an activation quantizer of an
// input that can be negative (not behind a ReLU): it quantizes |x| and
// keeps the sign, as the weights'.
type Interval struct {
	C      float64 `json:"c"`
	D      float64 `json:"d"`
	Gamma  float64 `json:"gamma,omitempty"`
	Bits   int     `json:"bits"`
	Signed bool    `json:"signed,omitempty"`
}

// Bounds on what a message may hold, so that a page bug cannot make the
// view allocate without limit.
const (
	maxLayers   = 4096
	maxChannels = 1 << 16
	maxBins     = 4096
	maxPoints   = 100000
)

// Decode parses and checks one message.
func Decode(data []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("liveview: message is not JSON: %w", err)
	}
	switch m.Kind {
	case "reset", "point":
	case "masks":
		if len(m.Masks) > maxLayers {
			return m, fmt.Errorf("liveview: %d masks, at most %d", len(m.Masks), maxLayers)
		}
		for _, k := range m.Masks {
			if len(k.Kept) > maxChannels {
				return m, fmt.Errorf("liveview: mask %s has %d channels, at most %d", k.Name, len(k.Kept), maxChannels)
			}
			for _, c := range k.Kept {
				if c != '0' && c != '1' {
					return m, fmt.Errorf("liveview: mask %s holds %q; only 0 and 1", k.Name, c)
				}
			}
		}
	case "layer":
		if m.Layer == nil {
			return m, fmt.Errorf("liveview: a layer message without a layer")
		}
		if len(m.Layer.Bins) > maxBins {
			return m, fmt.Errorf("liveview: %d histogram bins, at most %d", len(m.Layer.Bins), maxBins)
		}
		if !(m.Layer.Max > m.Layer.Min) && len(m.Layer.Bins) > 0 {
			return m, fmt.Errorf("liveview: histogram range [%g, %g] is empty", m.Layer.Min, m.Layer.Max)
		}
		if m.Layer.Float && (m.Layer.Weight != nil || m.Layer.Act != nil) {
			return m, fmt.Errorf("liveview: layer %s is kept in float and has quantization intervals", m.Layer.Name)
		}
		for _, iv := range []*Interval{m.Layer.Weight, m.Layer.Act} {
			if iv != nil && (iv.Bits < 1 || iv.Bits > 16 || iv.D <= 0) {
				return m, fmt.Errorf("liveview: interval of layer %s needs 1 to 16 bits and d > 0 (got %d bits, d %g)", m.Layer.Name, iv.Bits, iv.D)
			}
		}
	default:
		return m, fmt.Errorf("liveview: unknown message kind %q", m.Kind)
	}
	return m, nil
}
