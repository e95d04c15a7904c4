package train

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/onnx"
)

// WriteBack copies the trained parameters and BatchNormalization running
// statistics into the model's initializers. Each initializer keeps its
// name, dims, data type and the field its values were stored in
// (raw_data or float_data), so the file changes in those values only.
// Weights that were external data are written inline (Pare writes one
// self-contained file).
func (n *Net) WriteBack() error {
	for _, init := range n.model.Graph.Initializer {
		_, isParam := n.params[init.Name]
		if !isParam && !n.stats[init.Name] {
			continue
		}
		t := n.consts[init.Name]
		if init.DataType != onnx.Float {
			return fmt.Errorf("train: initializer %q is %v, not float; cannot write trained float32 values back", init.Name, init.DataType)
		}
		if t.Len() != tensorLen(init.Dims) {
			return fmt.Errorf("train: initializer %q has %d values, the trained tensor %d", init.Name, tensorLen(init.Dims), t.Len())
		}
		if len(init.FloatData) > 0 && len(init.RawData) == 0 {
			// A new slice: the decoded model may alias its input bytes.
			init.FloatData = append([]float32(nil), t.F32...)
			continue
		}
		raw := make([]byte, 4*len(t.F32))
		for i, v := range t.F32 {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		init.RawData = raw
		init.FloatData = nil
		if init.DataLocation == onnx.LocationExternal {
			init.DataLocation = onnx.LocationDefault
			init.ExternalData = nil
		}
	}
	return nil
}

func tensorLen(dims []int64) int {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	return n
}
