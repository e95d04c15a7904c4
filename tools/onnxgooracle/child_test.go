//go:build !js

package onnxgooracle_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/tensor"
)

// onnx-go runs in a child process (this test binary re-executed) because
// gorgonia executes the graph on a goroutine of its own: a panic there,
// which onnx-go produces for many unsupported attribute combinations,
// would kill the whole test binary. In the child it only ends that case.
//
// Protocol, all in one temporary directory: the parent writes
// inputs.txt (one graph input name per line) and in_N.npy; the child
// writes out_N.npy and outputs.txt (the output count) on success, or
// error.txt when onnx-go returned an error. A crash leaves neither and
// the parent reads the panic from the child's stderr.
const (
	childDirEnv   = "PARE_ONNXGO_ORACLE_DIR"
	childModelEnv = "PARE_ONNXGO_ORACLE_MODEL"
)

// onnxGoDeadline bounds one onnx-go run. It is not a speed assertion: a
// child still running then is killed and the case reported as skipped, so
// a hang inside onnx-go or gorgonia cannot stall the suite.
const onnxGoDeadline = 3 * time.Minute

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		os.Exit(childMain(dir, os.Getenv(childModelEnv)))
	}
	os.Exit(m.Run())
}

// childMain is the child process: run one model on onnx-go and write the
// outputs or the error into dir. Its exit code is 0 unless it could not
// even report.
func childMain(dir, modelPath string) int {
	fail := func(err error) int {
		if werr := os.WriteFile(filepath.Join(dir, "error.txt"), []byte(err.Error()), 0o644); werr != nil {
			fmt.Fprintln(os.Stderr, err, werr)
			return 2
		}
		return 0
	}
	modelBytes, err := os.ReadFile(modelPath)
	if err != nil {
		return fail(err)
	}
	names, err := os.ReadFile(filepath.Join(dir, "inputs.txt"))
	if err != nil {
		return fail(err)
	}
	var inputs []namedTensor
	for i, name := range strings.Split(string(names), "\n") {
		if i == strings.Count(string(names), "\n") {
			break // the text after the last newline is not a name
		}
		t, err := readTensorFile(filepath.Join(dir, fmt.Sprintf("in_%d.npy", i)))
		if err != nil {
			return fail(err)
		}
		inputs = append(inputs, namedTensor{name, t})
	}
	outs, err := runOnnxGoRecovered(modelBytes, inputs)
	if err != nil {
		return fail(err)
	}
	for i, t := range outs {
		if err := writeNpyFile(filepath.Join(dir, fmt.Sprintf("out_%d.npy", i)), t); err != nil {
			return fail(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "outputs.txt"), []byte(strconv.Itoa(len(outs))), 0o644); err != nil {
		return fail(err)
	}
	return 0
}

// runOnnxGo runs the model at modelPath on onnx-go in a child process and
// returns its outputs in graph output order, or an error wrapping
// errOnnxGo that says why onnx-go could not run it.
func runOnnxGo(modelPath string, inputs []namedTensor) ([]*tensor.Tensor, error) {
	dir, err := os.MkdirTemp("", "onnxgooracle")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var names strings.Builder
	for i, in := range inputs {
		if strings.Contains(in.name, "\n") {
			return nil, fmt.Errorf("input name %q has a newline the child protocol cannot carry", in.name)
		}
		names.WriteString(in.name + "\n")
		if err := writeNpyFile(filepath.Join(dir, fmt.Sprintf("in_%d.npy", i)), in.t); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "inputs.txt"), []byte(names.String()), 0o644); err != nil {
		return nil, err
	}
	absModel, err := filepath.Abs(modelPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), onnxGoDeadline)
	defer cancel()
	cmd := osexec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childModelEnv+"="+absModel)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	if msg, err := os.ReadFile(filepath.Join(dir, "error.txt")); err == nil {
		return nil, errors.New(string(msg))
	}
	count, err := os.ReadFile(filepath.Join(dir, "outputs.txt"))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: no result after %v", errOnnxGo, onnxGoDeadline)
		}
		return nil, fmt.Errorf("%w: %s", errOnnxGo, crashReason(stderr.String(), runErr))
	}
	n, err := strconv.Atoi(string(count))
	if err != nil {
		return nil, fmt.Errorf("child wrote a bad output count %q", count)
	}
	outs := make([]*tensor.Tensor, n)
	for i := range outs {
		if outs[i], err = readTensorFile(filepath.Join(dir, fmt.Sprintf("out_%d.npy", i))); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// crashReason condenses a crashed child's stderr to the panic message and
// the function that panicked.
func crashReason(stderr string, runErr error) string {
	lines := strings.Split(stderr, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "panic: ") {
			continue
		}
		msg := strings.TrimSuffix(line, " [recovered]")
		return fmt.Sprintf("%s (at %s)", msg, panicSite(lines[i+1:]))
	}
	if strings.TrimSpace(stderr) == "" {
		return fmt.Sprintf("child process failed: %v", runErr)
	}
	return fmt.Sprintf("child process failed: %v: %s", runErr, strings.TrimSpace(lines[0]))
}

// panicSite returns the first stack frame below a panic that is not the
// runtime's or this package's, so a skip reason says where in onnx-go or
// gorgonia it panicked.
func panicSite(lines []string) string {
	for _, l := range lines {
		fn := strings.TrimSpace(l)
		if fn == "" || strings.HasPrefix(fn, "panic(") || strings.HasPrefix(fn, "runtime.") ||
			strings.HasPrefix(fn, "runtime/debug.") || strings.Contains(fn, "onnxgooracle_test.") ||
			strings.HasPrefix(fn, "goroutine ") || strings.HasPrefix(fn, "/") || strings.HasPrefix(fn, "[") {
			continue
		}
		if k := strings.LastIndex(fn, "("); k > 0 {
			fn = fn[:k]
		}
		return strings.TrimPrefix(strings.TrimPrefix(fn, "github.com/owulveryck/onnx-go/backend/x/"), "gorgonia.org/")
	}
	return "unknown"
}

func writeNpyFile(path string, t *tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := tensor.WriteNpy(f, t); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
