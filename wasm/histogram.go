package main

import (
	"encoding/binary"
	"math"

	"github.com/pare-ml/pare/core/onnx"
)

// histogramBins is the number of bars in a weight histogram: enough to see
// the shape of a distribution (and a quantization grid later), few enough
// to draw in a narrow sidebar.
const histogramBins = 48

// WeightHistogram is the distribution of one weight tensor of a node.
type WeightHistogram struct {
	Name   string  `json:"name"`
	Shape  []int   `json:"shape"`
	Count  int     `json:"count"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`
	Zeros  int     `json:"zeros"`
	Counts []int   `json:"counts"`
}

// Histogram returns the histograms of the weights (initializers with more
// than one element) feeding graph node id.
func (s *Service) Histogram(id int) ([]WeightHistogram, error) {
	if s.model == nil {
		return nil, userErrorf("no-model", "open a model first")
	}
	if id < 0 || id >= len(s.nodes) {
		return nil, userErrorf("bad-request", "there is no node %d", id)
	}
	node := s.nodes[id]
	out := []WeightHistogram{}
	if node == nil {
		return out, nil
	}
	for _, name := range node.Input {
		init := s.graph.Initializer(name)
		if init == nil {
			continue
		}
		values := weightValues(init)
		if len(values) < 2 {
			continue
		}
		h := histogramOf(values)
		h.Name, h.Shape = name, dimsInt(init.Dims)
		out = append(out, h)
	}
	return out, nil
}

// weightValues reads a weight tensor's values as float64 for the
// histogram; nil for types a histogram does not suit. Raw data is
// little-endian, as ONNX specifies.
func weightValues(t *onnx.Tensor) []float64 {
	n := 1
	for _, d := range t.Dims {
		n *= int(d)
	}
	if n <= 0 {
		return nil
	}
	raw := t.RawData
	v := make([]float64, 0, n)
	switch t.DataType {
	case onnx.Float:
		if len(raw) >= 4*n {
			for i := 0; i < n; i++ {
				v = append(v, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))))
			}
		} else {
			for _, x := range t.FloatData {
				v = append(v, float64(x))
			}
		}
	case onnx.Double:
		if len(raw) >= 8*n {
			for i := 0; i < n; i++ {
				v = append(v, math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			}
		} else {
			v = append(v, t.DoubleData...)
		}
	case onnx.Int8:
		if len(raw) >= n {
			for _, b := range raw[:n] {
				v = append(v, float64(int8(b)))
			}
		} else {
			for _, x := range t.Int32Data {
				v = append(v, float64(x))
			}
		}
	case onnx.Uint8:
		if len(raw) >= n {
			for _, b := range raw[:n] {
				v = append(v, float64(b))
			}
		} else {
			for _, x := range t.Int32Data {
				v = append(v, float64(x))
			}
		}
	case onnx.Int32:
		if len(raw) >= 4*n {
			for i := 0; i < n; i++ {
				v = append(v, float64(int32(binary.LittleEndian.Uint32(raw[4*i:]))))
			}
		} else {
			for _, x := range t.Int32Data {
				v = append(v, float64(x))
			}
		}
	default:
		return nil
	}
	return v
}

// histogramOf bins finite values evenly between their minimum and maximum.
func histogramOf(values []float64) WeightHistogram {
	h := WeightHistogram{Counts: make([]int, histogramBins), Min: math.Inf(1), Max: math.Inf(-1)}
	var sum, sumSq float64
	for _, x := range values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		h.Count++
		sum += x
		sumSq += x * x
		h.Min = math.Min(h.Min, x)
		h.Max = math.Max(h.Max, x)
		if x == 0 {
			h.Zeros++
		}
	}
	if h.Count == 0 {
		h.Min, h.Max = 0, 0
		return h
	}
	h.Mean = sum / float64(h.Count)
	h.Std = math.Sqrt(math.Max(0, sumSq/float64(h.Count)-h.Mean*h.Mean))
	width := h.Max - h.Min
	for _, x := range values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		b := 0
		if width > 0 {
			b = int((x - h.Min) / width * histogramBins)
		}
		if b >= histogramBins {
			b = histogramBins - 1
		}
		h.Counts[b]++
	}
	return h
}
