package exec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// checkInputs verifies that inputs has exactly the model's input names and
// that each tensor matches the declared element type, rank and fixed
// dimensions, so that a mistake is reported against the input rather than
// deep inside some kernel.
func (s *Session) checkInputs(inputs map[string]*tensor.Tensor) error {
	var missing []string
	for _, vi := range s.inputs {
		t, ok := inputs[vi.Name]
		if !ok || t == nil {
			missing = append(missing, fmt.Sprintf("%q %s", vi.Name, describeValueInfo(vi)))
			continue
		}
		if err := checkInput(vi, t); err != nil {
			return err
		}
	}
	if len(missing) == 0 && len(inputs) == s.distinctInputs {
		return nil // every input found, so no name is extra
	}
	known := map[string]bool{}
	for _, vi := range s.inputs {
		known[vi.Name] = true
	}
	var extra []string
	for name := range inputs {
		if !known[name] {
			extra = append(extra, fmt.Sprintf("%q", name))
		}
	}
	sort.Strings(extra)
	if len(missing) > 0 {
		return fmt.Errorf("exec: missing model input %s (the model's inputs are %s)", strings.Join(missing, ", "), s.describeInputs())
	}
	if len(extra) > 0 {
		return fmt.Errorf("exec: unknown input %s: the model's inputs are %s", strings.Join(extra, ", "), s.describeInputs())
	}
	return nil
}

func (s *Session) describeInputs() string {
	parts := make([]string, len(s.inputs))
	for i, vi := range s.inputs {
		parts[i] = fmt.Sprintf("%q %s", vi.Name, describeValueInfo(vi))
	}
	return strings.Join(parts, ", ")
}

// describeValueInfo renders a declared type as "float32 [N 3 224 224]".
func describeValueInfo(vi *onnx.ValueInfo) string {
	if vi.Type == nil || vi.Type.TensorType == nil {
		return "(type not declared)"
	}
	tt := vi.Type.TensorType
	s := tensor.DType(tt.ElemType).String()
	if tt.Shape == nil {
		return s + " of any shape"
	}
	dims := make([]string, len(tt.Shape.Dim))
	for i, d := range tt.Shape.Dim {
		switch {
		case d.HasValue:
			dims[i] = fmt.Sprint(d.Value)
		case d.Param != "":
			dims[i] = d.Param
		default:
			dims[i] = "?"
		}
	}
	return s + " [" + strings.Join(dims, " ") + "]"
}

func checkInput(vi *onnx.ValueInfo, t *tensor.Tensor) error {
	if dataLen(t) != t.Len() {
		return fmt.Errorf("exec: input %q has %d values for shape %v", vi.Name, dataLen(t), t.Shape)
	}
	if vi.Type == nil || vi.Type.TensorType == nil {
		return nil
	}
	tt := vi.Type.TensorType
	if tt.ElemType != 0 && tensor.DType(tt.ElemType) != t.DType {
		return fmt.Errorf("exec: input %q must be %s, got %v %v", vi.Name, describeValueInfo(vi), t.DType, t.Shape)
	}
	if tt.Shape == nil {
		return nil
	}
	bad := len(tt.Shape.Dim) != len(t.Shape)
	for i := 0; !bad && i < len(t.Shape); i++ {
		d := tt.Shape.Dim[i]
		bad = d.HasValue && d.Value > 0 && int64(t.Shape[i]) != d.Value
	}
	if bad {
		return fmt.Errorf("exec: input %q must have shape %s, got %v %v", vi.Name, describeValueInfo(vi), t.DType, t.Shape)
	}
	return nil
}
