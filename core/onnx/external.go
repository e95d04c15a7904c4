package onnx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pare-ml/pare/core/safefile"
)

// ResolveExternalData loads the values of every tensor of m whose
// data_location is EXTERNAL (graph initializers and tensors in attributes,
// subgraphs included) into its RawData. open returns the contents of a
// file named by an external_data "location", given as a clean,
// slash-separated path relative to the model's directory; each file is
// opened once.
//
// The tensors are changed in place: RawData receives the bytes (aliasing
// what open returned), DataLocation becomes LocationDefault and
// ExternalData is cleared, so Encode afterwards writes a self-contained
// model. Locations that are absolute or climb out of the model's directory
// ("../") are refused before open is called.
func ResolveExternalData(m *Model, open func(location string) ([]byte, error)) error {
	if m.Graph == nil {
		return nil
	}
	files := map[string][]byte{}
	return forEachTensor(m.Graph, 0, func(t *Tensor) error {
		if t.DataLocation != LocationExternal {
			return nil
		}
		return resolveTensor(t, files, open)
	})
}

// ReadModelFile reads and decodes the model at path and loads external data
// from files beside it (see ResolveExternalData). The model must be a
// regular file within safefile.MaxFileBytes; external data files are opened
// through os.Root, so neither ".." nor a symbolic link can lead out of the
// model's folder, and only regular files are read.
func ReadModelFile(path string) (*Model, error) {
	data, err := safefile.ReadFile(path, 0)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	m, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := resolveBeside(m, path); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadModelFileTaking is ReadModelFile decoding the file as it reads it
// (DecodeReader), never holding it whole, with take called on each
// initializer of the main graph (see TakeFunc). Tensors whose values are
// in external data files reach take without them (DataLocation EXTERNAL)
// and are loaded afterwards, as ReadModelFile loads them.
func ReadModelFileTaking(path string, take TakeFunc) (*Model, error) {
	f, size, err := safefile.Open(path, 0)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	m, err := DecodeReader(io.LimitReader(f, size), size, take)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := resolveBeside(m, path); err != nil {
		return nil, err
	}
	return m, nil
}

// resolveBeside loads the external data of m from the folder of the model
// file at path.
func resolveBeside(m *Model, path string) error {
	if !hasExternalData(m) {
		return nil
	}
	dir, err := safefile.OpenFolder(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	defer dir.Close()
	open := func(location string) ([]byte, error) { return dir.ReadFile(location, 0) }
	if err := ResolveExternalData(m, open); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// hasExternalData reports whether any tensor of m keeps its values in a
// file.
func hasExternalData(m *Model) bool {
	if m.Graph == nil {
		return false
	}
	found := false
	forEachTensor(m.Graph, 0, func(t *Tensor) error {
		found = found || t.DataLocation == LocationExternal
		return nil
	})
	return found
}

// FSOpener returns an open function for ResolveExternalData that reads
// locations from fsys, for example the files a user dropped into a page
// beside the model.
func FSOpener(fsys fs.FS) func(location string) ([]byte, error) {
	return func(location string) ([]byte, error) { return fs.ReadFile(fsys, location) }
}

// cleanLocation validates an external_data location and returns it as a
// clean slash-separated relative path.
func cleanLocation(loc string) (string, error) {
	clean := path.Clean(strings.ReplaceAll(loc, `\`, "/"))
	if loc == "" || clean == "." || !fs.ValidPath(clean) || filepath.IsAbs(loc) {
		return "", fmt.Errorf("external data location %q is not a path inside the model's directory; move the file beside the model and give its plain name", loc)
	}
	return clean, nil
}

func resolveTensor(t *Tensor, files map[string][]byte, open func(string) ([]byte, error)) error {
	var location string
	offset, length := int64(0), int64(-1)
	for _, kv := range t.ExternalData {
		var err error
		switch kv.Key {
		case "location":
			location = kv.Value
		case "offset":
			offset, err = strconv.ParseInt(kv.Value, 10, 64)
		case "length":
			length, err = strconv.ParseInt(kv.Value, 10, 64)
		}
		if err != nil || offset < 0 || (kv.Key == "length" && length < 0) {
			return fmt.Errorf("onnx: tensor %q: external_data %s=%q is not a non-negative integer", t.Name, kv.Key, kv.Value)
		}
	}
	if location == "" {
		return fmt.Errorf("onnx: tensor %q: data_location is EXTERNAL but external_data has no location", t.Name)
	}
	clean, err := cleanLocation(location)
	if err != nil {
		return fmt.Errorf("onnx: tensor %q: %w", t.Name, err)
	}
	data, ok := files[clean]
	if !ok {
		data, err = open(clean)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("onnx: model references external data file %s (tensor %q); put it beside the model", clean, t.Name)
		}
		if err != nil {
			return fmt.Errorf("onnx: reading external data file %s (tensor %q): %w", clean, t.Name, err)
		}
		files[clean] = data
	}
	if offset > int64(len(data)) {
		return fmt.Errorf("onnx: tensor %q: offset %d is past the end of %s (%d bytes)", t.Name, offset, clean, len(data))
	}
	// The byte count dims and data type call for, when they fix one.
	want := int64(-1)
	if bits := t.DataType.ElementBits(); bits > 0 {
		n, err := t.NumElements()
		if err != nil {
			return err
		}
		if n > (1<<62)/int64(bits) {
			return fmt.Errorf("onnx: tensor %q: dims %v are too large", t.Name, t.Dims)
		}
		want = (n*int64(bits) + 7) / 8
	}
	switch {
	case length < 0 && want >= 0:
		length = want
	case length < 0:
		length = int64(len(data)) - offset
	case want >= 0 && length != want:
		return fmt.Errorf("onnx: tensor %q: external_data length is %d bytes but dims %v of %v need %d", t.Name, length, t.Dims, t.DataType, want)
	}
	if length > int64(len(data))-offset {
		return fmt.Errorf("onnx: tensor %q: %d bytes at offset %d run past the end of %s (%d bytes); is it the right file?", t.Name, length, offset, clean, len(data))
	}
	t.RawData = data[offset : offset+length : offset+length]
	t.DataLocation = LocationDefault
	t.ExternalData = nil
	return nil
}

// forEachTensor calls fn for every tensor in g: initializers and attribute
// tensors, descending into subgraphs.
func forEachTensor(g *Graph, depth int, fn func(*Tensor) error) error {
	if depth >= MaxGraphDepth {
		return fmt.Errorf("onnx: graphs nested deeper than %d", MaxGraphDepth)
	}
	for _, t := range g.Initializer {
		if t != nil {
			if err := fn(t); err != nil {
				return err
			}
		}
	}
	for _, n := range g.Node {
		if n == nil {
			continue
		}
		for _, a := range n.Attribute {
			if a == nil {
				continue
			}
			for _, t := range append([]*Tensor{a.T}, a.Tensors...) {
				if t != nil {
					if err := fn(t); err != nil {
						return err
					}
				}
			}
			for _, sub := range append([]*Graph{a.G}, a.Graphs...) {
				if sub != nil {
					if err := forEachTensor(sub, depth+1, fn); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
