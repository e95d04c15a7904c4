package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "run MODEL -i NAME=FILE ... -o DIR", stderr)
	var inputs stringList
	fs.Var(&inputs, "i", "input NAME=FILE (.pb serialized TensorProto or .npy); repeat per input")
	outDir := fs.String("o", "", "folder for the outputs (NAME.pb and NAME.npy per output)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one model file (got %d arguments)", len(pos))
	}
	if *outDir == "" {
		return usagef("-o DIR is required")
	}
	_, sess, err := loadModel(pos[0])
	if err != nil {
		return err
	}
	feeds := map[string]*tensor.Tensor{}
	for _, spec := range inputs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok || name == "" || file == "" {
			return usagef("-i %q: expected NAME=FILE", spec)
		}
		if !contains(sess.InputNames(), name) {
			return usagef("-i %s: the model has no input %q (its inputs: %s)", spec, name, strings.Join(sess.InputNames(), ", "))
		}
		t, err := readTensorFile(file)
		if err != nil {
			return fmt.Errorf("input %s: %w", name, err)
		}
		feeds[name] = t
	}
	outs, err := sess.Run(feeds)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		base := filepath.Join(*outDir, fileSafe(n))
		if err := writeTensorFiles(base, n, outs[n]); err != nil {
			return fmt.Errorf("output %s: %w", n, err)
		}
		fmt.Fprintf(stdout, "%s %s %v -> %s.{pb,npy}\n", n, outs[n].DType, outs[n].Shape, base)
	}
	return nil
}

// readTensorFile reads a tensor from a .npy file or a serialized TensorProto.
func readTensorFile(path string) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("\x93NUMPY")) {
		return tensor.ReadNpy(bytes.NewReader(data))
	}
	if strings.HasSuffix(strings.ToLower(path), ".npy") {
		return nil, fmt.Errorf("%s: not a .npy file (no \\x93NUMPY header)", path)
	}
	pt, err := onnx.DecodeTensor(data)
	if err != nil {
		return nil, fmt.Errorf("%s: neither .npy nor a serialized TensorProto: %w", path, err)
	}
	return tensor.FromONNX(pt)
}

func writeTensorFiles(base, name string, t *tensor.Tensor) error {
	pt, err := tensor.ToONNX(t, name)
	if err != nil {
		return err
	}
	pb, err := onnx.EncodeTensor(pt)
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".pb", pb, 0o644); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tensor.WriteNpy(&buf, t); err != nil {
		return err
	}
	return os.WriteFile(base+".npy", buf.Bytes(), 0o644)
}

// fileSafe maps a tensor name to a file name (ONNX names may hold '/' and ':').
func fileSafe(name string) string {
	r := strings.NewReplacer("/", "_", "\\", "_", ":", "_", " ", "_")
	s := r.Replace(name)
	if s == "" || s == "." || s == ".." {
		s = "output"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
