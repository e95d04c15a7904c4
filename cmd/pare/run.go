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
	"github.com/pare-ml/pare/core/safefile"
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
	_, sess, err := loadSession(pos[0], stderr)
	if err != nil {
		return err
	}
	feeds := map[string]*tensor.Tensor{}
	var inputFiles []string
	for _, spec := range inputs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok || name == "" || file == "" {
			return usagef("-i %q: expected NAME=FILE", spec)
		}
		if !contains(sess.InputNames(), name) {
			return usagef("-i %s: the model has no input %q (its inputs: %s)", spec, name, strings.Join(sess.InputNames(), ", "))
		}
		if _, dup := feeds[name]; dup {
			return usagef("-i %s: input %q is given twice", spec, name)
		}
		t, err := readTensorFile(file)
		if err != nil {
			return fmt.Errorf("input %s: %w", name, err)
		}
		feeds[name] = t
		inputFiles = append(inputFiles, file)
	}
	outs, err := sess.Run(feeds)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	bases, err := outputBases(*outDir, names, append(inputFiles, pos[0]))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		if err := writeTensorFiles(bases[n], n, outs[n]); err != nil {
			return fmt.Errorf("output %s: %w", n, err)
		}
		fmt.Fprintf(stdout, "%s %s %v -> %s.{pb,npy}\n", n, outs[n].DType, outs[n].Shape, bases[n])
	}
	return nil
}

// readTensorFile reads a tensor from a .npy file or a serialized
// TensorProto: a regular file within the size cap.
func readTensorFile(path string) (*tensor.Tensor, error) {
	data, err := safefile.ReadFile(path, 0)
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
	if pt.DataLocation == onnx.LocationExternal {
		return nil, fmt.Errorf("%s: the tensor's values are in an external file; pare run reads tensors whose values are inside the .pb", path)
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
	if err := writeFileAtomic(base+".pb", pb); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := tensor.WriteNpy(&buf, t); err != nil {
		return err
	}
	return writeFileAtomic(base+".npy", buf.Bytes())
}

// outputBases maps output names to file paths (without extension) inside
// dir: one file name per output, distinct even on file systems that ignore
// case (a/b and a_b become a_b and a_b_2), and never one of the files
// read (the inputs and the model), which pare run refuses to overwrite.
func outputBases(dir string, names, read []string) (map[string]string, error) {
	protected := map[string]string{}
	for _, p := range read {
		if abs, err := filepath.Abs(p); err == nil {
			protected[strings.ToLower(abs)] = p
		}
	}
	taken := map[string]bool{}
	bases := map[string]string{}
	for _, n := range names {
		stem := fileSafe(n)
		file := stem
		for k := 2; taken[strings.ToLower(file)]; k++ {
			file = fmt.Sprintf("%s_%d", stem, k)
		}
		taken[strings.ToLower(file)] = true
		base := filepath.Join(dir, file)
		for _, ext := range []string{".pb", ".npy"} {
			abs, err := filepath.Abs(base + ext)
			if err != nil {
				return nil, err
			}
			if in, ok := protected[strings.ToLower(abs)]; ok {
				return nil, fmt.Errorf("output %q would be written to %s, which is a file this run reads (%s): give another -o folder", n, base+ext, in)
			}
		}
		bases[n] = base
	}
	return bases, nil
}

// fileSafe maps a tensor name to a file name: ONNX names may hold '/',
// ':', control characters or be "." and "..", none of which may reach the
// file system as they are.
func fileSafe(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r < 0x20 || r == 0x7f:
			return '_'
		case strings.ContainsRune(`/\:*?"<>| `, r):
			return '_'
		}
		return r
	}, name)
	s = strings.TrimLeft(s, ".")
	if s == "" {
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
