package edit_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pare-ml/pare/core/edit"
	"github.com/pare-ml/pare/core/onnx"
)

// Insert a scaling step after a model's first node and write the result:
// the new node is appended, so the file order is sorted on write, and the
// inverse edit gives back the original bytes.
func Example() {
	path, _ := filepath.Abs("../../testdata/models/resnet20_cifar.onnx")
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := onnx.Decode(data)
	g := m.Graph
	first := g.Node[0]

	// first -> Mul(by 0.5) -> the readers of first's output.
	out := first.Output[0]
	_ = edit.AddInitializer(g, &onnx.Tensor{Name: "half", DataType: onnx.Float, FloatData: []float32{0.5}})
	mul := &onnx.Node{Name: "scale", OpType: "Mul", Input: []string{out, "half"}, Output: []string{out + "/scaled"}}
	_ = edit.AddNode(g, mul)
	fmt.Println("readers rewired:", edit.ReplaceUses(g, out, out+"/scaled", mul))
	_ = edit.SortNodes(g)
	fmt.Println("scale placed at", slices.Index(g.Node, mul), "of", len(g.Node))

	// The inverse: wire the readers back, drop the Mul, prune the constant.
	edit.ReplaceUses(g, out+"/scaled", out)
	_, _ = edit.RemoveNode(g, mul)
	pruned, _ := edit.Prune(g)
	fmt.Println("pruned", len(pruned.Initializers), "initializer")
	back, _ := onnx.Encode(m)
	fmt.Println("original bytes:", bytes.Equal(back, data))

	// Writing never replaces the file the model came from.
	fmt.Println(edit.WriteModelFile(path, m, path) != nil)
	// Output:
	// readers rewired: 1
	// scale placed at 1 of 74
	// pruned 1 initializer
	// original bytes: true
	// true
}
