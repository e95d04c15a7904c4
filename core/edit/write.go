package edit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pare-ml/pare/core/onnx"
)

// WriteModelFile sorts m's nodes topologically (SortNodes), encodes m and
// writes it to path atomically: the bytes go to a temporary file in the
// same directory, which is synced and then renamed over path, so a reader
// never sees half a model and a failed write leaves path as it was.
//
// source is the file m was read from ("" when none). WriteModelFile
// refuses to write over it (the same file by any name, links included):
// an edit of a model should never destroy the only copy of the original.
func WriteModelFile(path string, m *onnx.Model, source string) error {
	if m == nil || m.Graph == nil {
		return fmt.Errorf("edit: write %s: the model has no graph", path)
	}
	if source != "" {
		if same, err := sameFile(path, source); err != nil {
			return fmt.Errorf("edit: write %s: %w", path, err)
		} else if same {
			return fmt.Errorf("edit: refusing to write %s over the model it was read from (%s); write to another path", path, source)
		}
	}
	if err := SortNodes(m.Graph); err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	data, err := onnx.Encode(m)
	if err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	return writeAtomic(path, data)
}

// sameFile reports whether a and b name one file. A path that does not
// exist names no file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

func writeAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("edit: write %s: %w", path, err)
	}
	return nil
}
