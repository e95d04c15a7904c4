// Package edit changes ONNX models: the one way the compressors (pruning in
// qcqp/, quantization in qil/) and the training write-back edit a graph.
//
// A model decoded by package onnx keeps the bytes of every field it does
// not interpret and the wire layout of every message (see the onnx package
// doc). The functions here change only what they are asked to, in place,
// so every other field keeps its bytes: an edit followed by its inverse
// encodes to the original file byte for byte.
//
//	m, _ := onnx.ReadModelFile("model.onnx")
//	g := m.Graph
//	edit.SetAttr(conv, edit.Ints("strides", 2, 2))
//	old, _ := edit.ReplaceInitializer(g, slicedWeights)
//	edit.Rename(g, "logits", "scores")
//	edit.Prune(g)                      // drop what no longer has a reader
//	edit.RefreshValueInfo(g, shapes)   // after shapes changed
//	edit.SetOpset(m, "", 13)           // and the IR version with it
//	err := edit.WriteModelFile("small.onnx", m, "model.onnx")
//
// The pieces:
//
//   - attribute constructors (Int, Ints, Float, Floats, String, Strings,
//     Tensor, Graph) and SetAttr / RemoveAttr on a node;
//   - initializers: AddInitializer, ReplaceInitializer, RemoveInitializer,
//     InsertInitializer (the inverse of a removal);
//   - nodes: AddNode, InsertNode, RemoveNode, ReplaceNode;
//   - Prune: dead-code elimination from the graph outputs;
//   - Rename: one value's name everywhere, subgraphs included;
//   - SortNodes: topological order with the least movement, so an appended
//     node that others read lands right before its first reader;
//   - ClearValueInfo / RefreshValueInfo: value_info is a cache of shapes,
//     stale once channels are removed;
//   - SetOpset: the opset import and the IR version it requires, together;
//   - WriteModelFile: sort, encode and write atomically (a temporary file
//     in the same directory renamed over the target), never over the file
//     the model was read from.
//
// Functions that can fail on the graph's content (a duplicate name, a
// missing value, a cycle) return errors naming the value or node; none of
// them panics on a well-formed *onnx.Graph.
package edit
