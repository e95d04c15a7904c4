package exec

import (
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Weights holds initializers converted to tensors while their model was
// decoded (ReadModelFile), for the session built from that model
// (SessionOptions.Weights).
type Weights struct {
	// byTensor maps each initializer whose values were taken to its
	// tensor. Keyed by the model's own *onnx.Tensor, so duplicate names
	// resolve as NewSession resolves them (the last one wins).
	byTensor map[*onnx.Tensor]*tensor.Tensor
}

// ReadModelFile reads the model at path for inference. It decodes the file
// as it reads it (onnx.ReadModelFileTaking) and converts each large
// initializer to its tensor as soon as it is decoded, dropping its bytes,
// so the file and the weights are never held together: loading costs
// about the weights once, not the file's bytes plus the weights.
//
// The model keeps every initializer's name, type and dims, and the values
// of the small ones (at most graph.MaxFoldElements elements, which shape
// inference reads), so Validate and NewSession check it as before; the
// values of the others are in the returned Weights. Pass them as
// SessionOptions.Weights. A model read this way is for building that
// session and for its description (inputs, outputs, graph): code that
// reads weight values from it (compression, cost analysis of values,
// re-encoding) must read the model with onnx.ReadModelFile instead.
//
// A small float initializer's values stay in the model and are the
// session's too (not copied): the session may fold BatchNormalization
// into them in place.
//
// An initializer the conversion refuses (values that do not match its
// dims) is left whole in the model, for NewSession to report as it
// always does.
func ReadModelFile(path string) (*onnx.Model, *Weights, error) {
	w := &Weights{byTensor: map[*onnx.Tensor]*tensor.Tensor{}}
	m, err := onnx.ReadModelFileTaking(path, w.take)
	if err != nil {
		return nil, nil, err
	}
	return m, w, nil
}

// take is the onnx.TakeFunc of ReadModelFile.
func (w *Weights) take(t *onnx.Tensor) (bool, error) {
	if t.DataLocation == onnx.LocationExternal {
		return false, nil // loaded after decoding; NewSession converts it
	}
	n, err := t.NumElements()
	if err != nil {
		return false, nil
	}
	if n <= graph.MaxFoldElements {
		// The model keeps a small initializer's values, which shape
		// inference reads; the session reads the same bytes rather than a
		// copy (DenseNet-121: 0.6 MB of BatchNormalization parameters
		// held twice until the model was dropped).
		if c, err := tensor.FromONNXView(t); err == nil {
			w.byTensor[t] = c
		}
		return false, nil
	}
	c, err := tensor.FromONNXInPlace(t) // the decoder gives up t's bytes
	if err != nil {
		return false, nil
	}
	w.byTensor[t] = c
	return true, nil
}

// initializer returns the session's tensor for init: the one taken while
// decoding, or its conversion now.
func (w *Weights) initializer(init *onnx.Tensor) (*tensor.Tensor, error) {
	if w != nil {
		if t, ok := w.byTensor[init]; ok {
			return t, nil
		}
	}
	return tensor.FromONNX(init)
}
