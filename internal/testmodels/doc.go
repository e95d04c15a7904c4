// Package testmodels holds the model-loading helpers that tests of several
// packages share: reading .onnx and TensorProto files and listing the
// inputs a caller must feed.
package testmodels
