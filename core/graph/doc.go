// Package graph indexes an ONNX graph and infers the shapes of its values.
//
// New builds a read-only index of an onnx.Graph: the producer and consumers
// of every value, the initializers by name, the inputs a caller must feed
// (graph inputs minus initializers, which models of IR version < 4 list
// among the inputs) and a stable topological order of the nodes (the file
// order when it is already topological).
//
//	g, err := graph.New(model.Graph)
//	for _, n := range g.Order() { ... }
//
// InferShapes propagates element types and static dimensions from the
// graph inputs through every node. The small integer tensors that drive
// shapes (PyTorch's Shape -> Gather -> Unsqueeze -> Concat -> Reshape
// chains) are folded to constants by calling a ConstEval, normally
// exec.EvalNode, passed in by the caller to avoid an import cycle, so those
// reshapes get exact shapes. FoldConstants uses the same machinery to
// replace such subgraphs by initializers.
package graph
