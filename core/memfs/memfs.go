package memfs

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// FS is a read-only in-memory file system. It implements fs.FS,
// fs.ReadFileFS, fs.ReadDirFS and fs.StatFS.
type FS struct {
	files map[string][]byte
	// dirs lists each directory's entries, sorted by name; "." is the root.
	dirs map[string][]fs.DirEntry
}

// New builds an FS holding files, keyed by slash-separated paths valid for
// fs.ValidPath ("a/b.png", not "/a", "./a" or "a/../b"). It is an error
// for a path to be both a file and a directory ("a" and "a/b").
func New(files map[string][]byte) (*FS, error) {
	m := &FS{files: make(map[string][]byte, len(files)), dirs: map[string][]fs.DirEntry{".": nil}}
	for name, data := range files {
		if !fs.ValidPath(name) || name == "." {
			return nil, fmt.Errorf("memfs: %q is not a valid file path (want slash-separated names, no leading /, no . or ..)", name)
		}
		m.files[name] = data
	}
	for name, data := range files {
		if err := m.addParents(name, fileInfo{name: path.Base(name), size: int64(len(data)), mode: 0o444}); err != nil {
			return nil, err
		}
	}
	for dir := range m.dirs {
		slices.SortFunc(m.dirs[dir], func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return m, nil
}

// addParents records name (described by info) in its directory, creating
// the directories above it that do not exist yet.
func (m *FS) addParents(name string, info fileInfo) error {
	for {
		dir := path.Dir(name)
		if _, isFile := m.files[dir]; isFile {
			return fmt.Errorf("memfs: %q is a file and also the directory of %q", dir, name)
		}
		_, known := m.dirs[dir]
		m.dirs[dir] = append(m.dirs[dir], fs.FileInfoToDirEntry(info))
		if known {
			return nil
		}
		name, info = dir, fileInfo{name: path.Base(dir), mode: fs.ModeDir | 0o555}
	}
}

// Open opens the named file or directory.
func (m *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := m.files[name]; ok {
		return &file{Reader: bytes.NewReader(data), info: fileInfo{name: path.Base(name), size: int64(len(data)), mode: 0o444}}, nil
	}
	if entries, ok := m.dirs[name]; ok {
		return &dir{info: fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o555}, entries: entries, path: name}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadFile returns a copy of the named file's contents.
func (m *FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	data, ok := m.files[name]
	if !ok {
		if _, isDir := m.dirs[name]; isDir {
			return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("is a directory")}
		}
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return bytes.Clone(data), nil
}

// ReadDir lists the named directory, sorted by name.
func (m *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	entries, ok := m.dirs[name]
	if !ok {
		if _, isFile := m.files[name]; isFile {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: fmt.Errorf("not a directory")}
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(entries), nil
}

// Stat describes the named file or directory.
func (m *FS) Stat(name string) (fs.FileInfo, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err.(*fs.PathError).Err}
	}
	return f.Stat()
}

// fileInfo describes a file or directory; every ModTime is the zero time.
type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }

// file is an open regular file: reads, seeks and ReadAt come from its
// bytes.Reader.
type file struct {
	*bytes.Reader
	info fileInfo
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

// dir is an open directory, listed by ReadDir in chunks.
type dir struct {
	info    fileInfo
	path    string
	entries []fs.DirEntry
	offset  int
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dir) Close() error               { return nil }

func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: fmt.Errorf("is a directory")}
}

// ReadDir follows fs.ReadDirFile: n > 0 returns at most n entries and
// io.EOF at the end; n <= 0 returns all that are left.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	left := d.entries[d.offset:]
	if n > 0 && len(left) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(left) {
		left = left[:n]
	}
	d.offset += len(left)
	return slices.Clone(left), nil
}
