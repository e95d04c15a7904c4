// Package custom registers an operator of a custom domain once for every
// layer of Pare that meets it: the kernel that runs it (core/exec), the
// rule that gives its output shapes (core/graph), its cost (core/cost) and
// its training forward and backward (core/train).
//
// A package that brings its own operators (qil's quantizers, for one)
// calls Register from an init function:
//
//	func init() {
//		if err := custom.Register(custom.Op{
//			Domain: "pare.qil", OpType: "QILAct", MinOpset: 1,
//			Kernel: actKernel, Shape: custom.SameAsInput(0),
//			Train:  &train.Op{Forward: actForward, Backward: actBackward, Inputs: []int{0, 1, 2}},
//		}); err != nil {
//			panic(err)
//		}
//	}
//
// A registration names its domain and opset range. The default ONNX
// domain is refused (a built-in is replaced for one training net through
// train.NetOptions.Ops, never process-wide), and so is a range that
// overlaps an earlier registration of the same operator: nothing is ever
// shadowed silently.
package custom
