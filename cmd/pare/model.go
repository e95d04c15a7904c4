package main

import (
	"fmt"
	"os"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
)

// loadModel reads a model file (with external data beside it) and prepares
// an inference session, turning the usual failures into advice. The
// session is run-only: the commands that use it never read intermediate
// values, and it holds each BN-folded weight once.
func loadModel(path string) (*onnx.Model, *exec.Session, error) {
	m, err := readModel(path)
	if err != nil {
		return nil, nil, err
	}
	s, err := exec.NewSessionWith(m, exec.SessionOptions{RunOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return m, s, nil
}

func readModel(path string) (*onnx.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cannot open model: %v", err)
	}
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable ONNX model: %w", path, err)
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("%s has no graph: is it an ONNX model?", path)
	}
	return m, nil
}
