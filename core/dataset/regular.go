package dataset

import (
	"io/fs"

	"github.com/pare-ml/pare/core/safefile"
)

// regularFS opens only folders and regular files of the FS it wraps: a
// named pipe or a device inside a data folder (a "train-images-idx3-ubyte"
// that is a fifo, a class folder holding /dev/zero's link) would block or
// stream without end, so it is refused from its metadata before it is
// opened.
type regularFS struct{ fsys fs.FS }

func (r regularFS) Open(name string) (fs.File, error) {
	info, err := fs.Stat(r.fsys, name)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if err := safefile.CheckRegular(name, info); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	return r.fsys.Open(name)
}

// Stat answers from the wrapped FS without opening the file.
func (r regularFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(r.fsys, name) }
