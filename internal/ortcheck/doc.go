// Package ortcheck runs an ONNX file in onnxruntime-node and in Pare's
// executor on the same images, one image at a time, and compares their
// logits: the external oracle for every file Pare writes (QDQ exports,
// pruned and compressed models). Tests call it directly; tools/ortcheck
// runs it over a whole validation set for the tables in docs/.
package ortcheck
