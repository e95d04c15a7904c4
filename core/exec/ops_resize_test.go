package exec

import (
	"fmt"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

type resizeGolden struct {
	mode, coord, nearest string
	sizes                []int64
	roi                  []float32
	extrapolation        float32
	want                 []float32
}

// TestResizeMatchesReference checks nearest (every nearest_mode) and linear
// in every coordinate_transformation_mode against outputs of the ONNX
// numpy reference, upsampling and downsampling.
func TestResizeMatchesReference(t *testing.T) {
	x := f32([]int{1, 1, 4, 5}, resizeGoldenInput...)
	for _, g := range resizeGoldenCases {
		name := fmt.Sprintf("%s/%s/%s/%v", g.mode, g.coord, g.nearest, g.sizes)
		t.Run(name, func(t *testing.T) {
			attrs := []*onnx.Attribute{attrString("mode", g.mode), attrString("coordinate_transformation_mode", g.coord),
				attrFloat("extrapolation_value", g.extrapolation)}
			if g.nearest != "" {
				attrs = append(attrs, attrString("nearest_mode", g.nearest))
			}
			var roi *tensor.Tensor
			if g.roi != nil {
				roi = f32([]int{len(g.roi)}, g.roi...)
			}
			n := mkNode("Resize", "rs", []string{"x", "roi", "", "sizes"}, []string{"y"}, attrs...)
			y := eval(t, n, 13, x, roi, nil, i64([]int{4}, g.sizes...))[0]
			wantShape(t, y, toInts(g.sizes)...)
			for i, w := range g.want {
				if math.Abs(float64(y.F32[i]-w)) > 1e-5 {
					t.Fatalf("value %d = %v, want %v\ngot  %v\nwant %v", i, y.F32[i], w, y.F32, g.want)
				}
			}
		})
	}
}

func TestResizeScalesAndOpset10(t *testing.T) {
	x := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	// Opset 10: (X, scales), asymmetric + floor, like Upsample.
	y := eval(t, mkNode("Resize", "r", []string{"x", "s"}, []string{"y"}), 10, x, f32([]int{4}, 1, 1, 2, 2))[0]
	wantShape(t, y, 1, 1, 4, 4)
	wantValues(t, y, 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4)
	// Opset 11+ with scales: floor(2*1.5)=3 outputs per axis.
	y = eval(t, mkNode("Resize", "r", []string{"x", "", "s"}, []string{"y"}, attrString("mode", "linear"), attrString("coordinate_transformation_mode", "align_corners")), 13,
		x, nil, f32([]int{4}, 1, 1, 1.5, 1.5))[0]
	wantShape(t, y, 1, 1, 3, 3)
	wantValues(t, y, 1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4)
	// tf_half_pixel_for_nn: (x+0.5)/scale.
	y = eval(t, mkNode("Resize", "r", []string{"x", "", "s"}, []string{"y"}, attrString("coordinate_transformation_mode", "tf_half_pixel_for_nn")), 13,
		f32([]int{1, 3}, 1, 2, 3), nil, f32([]int{2}, 1, 2))[0]
	wantValues(t, y, 1, 2, 2, 3, 3, 3) // coords 0.25 0.75 1.25 ..., rounded half down
	// Upsample opset 9 (scales input) and 7 (attribute).
	y = eval(t, mkNode("Upsample", "u", []string{"x", "s"}, []string{"y"}), 9, x, f32([]int{4}, 1, 1, 1, 2))[0]
	wantValues(t, y, 1, 1, 2, 2, 3, 3, 4, 4)
	y = eval(t, mkNode("Upsample", "u", []string{"x"}, []string{"y"}, &onnx.Attribute{Name: "scales", Floats: []float32{1, 1, 2, 1}, Type: onnx.AttrFloats}, attrString("mode", "linear")), 7, x)[0]
	wantValues(t, y, 1, 2, 2, 3, 3, 4, 3, 4)
	// Unsupported configurations are clear errors.
	_, err := EvalNode(mkNode("Resize", "r", []string{"x", "", "s"}, []string{"y"}, attrString("mode", "cubic")), 13, []*tensor.Tensor{x, nil, f32([]int{4}, 1, 1, 2, 2)})
	if err == nil {
		t.Fatal("cubic accepted")
	}
}
