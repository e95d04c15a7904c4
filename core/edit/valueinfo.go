package edit

import (
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// value_info is a cache: shapes an exporter inferred for intermediate
// values. Once an edit changes shapes (channels removed, a layer
// replaced) the cache lies, and runtimes that trust it fail or, worse,
// allocate the old sizes. Either drop it or refresh it from inference.

// ClearValueInfo removes every value_info entry of g and returns them, so
// that restoring g.ValueInfo undoes it.
func ClearValueInfo(g *onnx.Graph) []*onnx.ValueInfo {
	old := g.ValueInfo
	g.ValueInfo = nil
	return old
}

// RefreshValueInfo brings g's value_info and graph outputs in line with
// inferred shapes (graph.InferShapes on the edited model): an entry whose
// value is gone or whose shape inference could not determine is dropped;
// element types and numeric dimensions that changed are rewritten;
// symbolic dimensions (a batch "N") stay symbolic. Entries that did not
// change keep their bytes. Graph inputs are not touched: they define the
// shapes.
func RefreshValueInfo(g *onnx.Graph, s *graph.Shapes) {
	var dropped []*onnx.ValueInfo
	g.ValueInfo = keep(g.ValueInfo, &dropped, func(vi *onnx.ValueInfo) bool {
		if vi == nil {
			return false
		}
		v := s.Of(vi.Name)
		if v == nil {
			return false
		}
		setType(vi, onnx.DataType(v.DType), v.Dims)
		return true
	})
	for _, vi := range g.Output {
		if vi == nil {
			continue
		}
		if v := s.Of(vi.Name); v != nil {
			setType(vi, onnx.DataType(v.DType), v.Dims)
		}
	}
}

// setType rewrites vi's tensor type to dt and dims where they differ.
func setType(vi *onnx.ValueInfo, dt onnx.DataType, dims []int) {
	if vi.Type == nil {
		vi.Type = &onnx.TypeProto{}
	}
	tt := vi.Type.TensorType
	if tt == nil {
		if len(vi.Type.Unknown) > 0 {
			return // a sequence, map or optional type: not ours to rewrite
		}
		tt = &onnx.TensorType{}
		vi.Type.TensorType = tt
	}
	if tt.ElemType != dt && dt != onnx.Undefined {
		tt.ElemType = dt
	}
	if tt.Shape != nil && len(tt.Shape.Dim) == len(dims) && !slices.Contains(tt.Shape.Dim, nil) {
		for i, d := range tt.Shape.Dim {
			if d.HasValue && d.Value != int64(dims[i]) {
				d.Value = int64(dims[i])
			}
		}
		return
	}
	shape := &onnx.TensorShape{Dim: make([]*onnx.Dimension, len(dims))}
	for i, d := range dims {
		shape.Dim[i] = &onnx.Dimension{Value: int64(d), HasValue: true}
	}
	tt.Shape = shape
}
