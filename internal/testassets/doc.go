// Package testassets locates the project's shared test data for tests.
//
// The data (models, MNIST, ONNX conformance tests) lives beside the
// repository in ../shared/assets and is used in place, never copied. A
// fresh clone has none, so tests that need it skip with a message saying
// where it was looked for.
package testassets
