package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxFileBytes is the default cap on a file read whole: larger than any
// model or tensor Pare can hold in its 2 GiB per-tensor limit plus the
// protobuf framing, small enough that a sparse or lying file cannot
// exhaust memory.
const MaxFileBytes int64 = 2<<30 + 64<<20

// TooLargeError reports a file beyond the cap.
type TooLargeError struct {
	Path  string
	Size  int64
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes, too large: Pare reads files of at most %d bytes", e.Path, e.Size, e.Limit)
}

// CheckRegular returns an error unless info describes a regular file.
func CheckRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch m := info.Mode(); {
	case m.IsDir():
		kind = "a folder, not a regular file"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe, not a regular file"
	case m&fs.ModeDevice != 0 || m&fs.ModeCharDevice != 0:
		kind = "a device, not a regular file"
	case m&fs.ModeSocket != 0:
		kind = "a socket, not a regular file"
	}
	return fmt.Errorf("%s is %s", path, kind)
}

// ReadFile reads the regular file at path (symbolic links followed, as the
// user named it) whole, refusing other kinds of file and files larger than
// limit (MaxFileBytes when limit <= 0).
func ReadFile(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := CheckRegular(path, info); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readOpened(f, path, limit)
}

// Open opens the regular file at path (symbolic links followed) for
// reading, with the checks of ReadFile, and returns it with its size, for
// a caller that decodes as it reads (onnx.DecodeReader). The size is the
// open descriptor's: read at most that many bytes, so a file that grows
// meanwhile is read as it was.
func Open(path string, limit int64) (*os.File, int64, error) {
	if limit <= 0 {
		limit = MaxFileBytes
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if err := CheckRegular(path, info); err != nil {
		return nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	info, err = f.Stat()
	if err == nil {
		err = CheckRegular(path, info)
	}
	if err == nil && info.Size() > limit {
		err = &TooLargeError{Path: path, Size: info.Size(), Limit: limit}
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// readOpened reads an open file within limit, checking again on the open
// descriptor that it is regular (the name may have been swapped since).
func readOpened(f *os.File, path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxFileBytes
	}
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := CheckRegular(path, info); err != nil {
		return nil, err
	}
	if info.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: info.Size(), Limit: limit}
	}
	// The size is a hint (the file may grow while read): never read more
	// than limit+1 bytes.
	data := make([]byte, 0, info.Size()+1)
	r := io.LimitReader(f, limit+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// Folder reads files by relative name inside one folder and nowhere else:
// "..", absolute names and symbolic links that lead out of the folder are
// refused (os.Root), and only regular files within the size cap are read.
type Folder struct {
	root *os.Root
	dir  string
}

// OpenFolder opens dir for reading files inside it.
func OpenFolder(dir string) (*Folder, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Folder{root: root, dir: dir}, nil
}

// Close releases the folder.
func (d *Folder) Close() error { return d.root.Close() }

// ReadFile reads the regular file name (slash-separated, relative to the
// folder) whole, within limit (MaxFileBytes when limit <= 0).
func (d *Folder) ReadFile(name string, limit int64) ([]byte, error) {
	shown := filepath.Join(d.dir, filepath.FromSlash(name))
	info, err := d.root.Stat(name)
	if err != nil {
		return nil, explainEscape(name, err)
	}
	if err := CheckRegular(shown, info); err != nil {
		return nil, err
	}
	f, err := d.root.Open(name)
	if err != nil {
		return nil, explainEscape(name, err)
	}
	defer f.Close()
	return readOpened(f, shown, limit)
}

// explainEscape turns os.Root's refusal of a path that leaves the folder
// into advice.
func explainEscape(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) && pe.Err.Error() == "path escapes from parent" {
		return fmt.Errorf("%s leads outside the model's folder (a symbolic link or ..): copy the file itself beside the model", name)
	}
	return err
}
