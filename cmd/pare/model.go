package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
)

// loadModel reads a model file (with external data beside it) and prepares
// an inference session, which validates the graph the same way for every
// command (exec.NewSession runs the shape checks pare info reports from).
// The session is run-only: the commands that use it never read
// intermediate values, and it holds each BN-folded weight once.
func loadModel(path string, stderr io.Writer) (*onnx.Model, *exec.Session, error) {
	m, err := readModel(path, stderr)
	if err != nil {
		return nil, nil, err
	}
	s, err := exec.NewSessionWith(m, exec.SessionOptions{RunOnly: true})
	if err != nil {
		return nil, nil, err
	}
	return m, s, nil
}

// loadSession is loadModel for the commands that only run the model
// (bench, eval, run): the file is decoded as it is read and its large
// initializers go straight into the session (exec.ReadModelFile), so
// loading holds the weights once, not the file's bytes and the weights.
// The model it returns lacks those initializers' values: it serves for
// the graph's inputs, outputs and shapes, not for reading weights.
func loadSession(path string, stderr io.Writer) (*onnx.Model, *exec.Session, error) {
	m, w, err := exec.ReadModelFile(path)
	m, err = checkRead(path, m, err, stderr)
	if err != nil {
		return nil, nil, err
	}
	// A process that runs one model can afford the first run's forced
	// collections (exec.SessionOptions.CollectFirstRun).
	s, err := exec.NewSessionWith(m, exec.SessionOptions{RunOnly: true, Weights: w, CollectFirstRun: true})
	if err != nil {
		return nil, nil, err
	}
	return m, s, nil
}

// readModel reads a model file: a regular file within the size cap, with
// external data read only from inside its folder (onnx.ReadModelFile). It
// prints a warning for versions newer than Pare knows.
func readModel(path string, stderr io.Writer) (*onnx.Model, error) {
	m, err := onnx.ReadModelFile(path)
	return checkRead(path, m, err, stderr)
}

// checkRead turns the result of reading the model at path into readModel's
// messages and warnings.
func checkRead(path string, m *onnx.Model, err error, stderr io.Writer) (*onnx.Model, error) {
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot open model: %v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable ONNX model: %w", path, err)
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("%s has no graph: is it an ONNX model?", path)
	}
	for _, w := range m.VersionWarnings() {
		fmt.Fprintf(stderr, "warning: %s: %s\n", path, w)
	}
	return m, nil
}
