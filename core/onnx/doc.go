// Package onnx reads and writes ONNX models (ModelProto) and tensors
// (TensorProto) losslessly.
//
// The codec is written by hand on protowire. It interprets the fields Pare
// works with (see types.go) and keeps every other field, including those
// of ONNX versions newer than this code, as raw bytes in each message's
// Unknown. It also remembers the wire layout proto2 leaves open (field
// order, packed or unpacked repeated scalars, zero values written
// explicitly), so an untouched model re-encodes to exactly its input:
//
//	data, _ := os.ReadFile("model.onnx")
//	m, err := onnx.Decode(data)      // m aliases data: do not modify data
//	...
//	out, err := onnx.Encode(m)       // bytes.Equal(out, data)
//
// Editing is plain Go: append nodes, replace initializers, change dims.
// Encode writes what changed the way a canonical serializer would and
// keeps the layout of everything else:
//
//	g := m.Graph
//	g.Node = append(g.Node, &onnx.Node{OpType: "Relu", Input: []string{"y"}, Output: []string{"z"}})
//	g.Initializer[0] = newWeights
//
// Decoding checks every length against the remaining input before
// allocating, bounds the nesting of subgraphs (MaxGraphDepth), and reports
// malformed input with the path of the failing field:
//
//	onnx: graph.node[12].attribute[3].t.raw_data: truncated
//
// DecodeReader decodes from an io.Reader one field at a time instead, with
// the same checks and errors, and hands each initializer of the main graph
// to a TakeFunc as soon as it is read: a caller that converts the weights
// there (exec.ReadModelFile) never holds the file's bytes and the weights
// together. ReadModelFileTaking does this on a file.
//
// Large models may keep weights in files beside the .onnx (external data).
// ReadModelFile loads them from the model's directory; ResolveExternalData
// does the same with any source, such as files dropped into a web page
// (FSOpener wraps an fs.FS).
//
// Conversion between TensorProto values and computable tensors lives in
// package tensor (tensor.FromONNX, tensor.ToONNX), which imports this one.
package onnx
