package main

import (
	"io/fs"
	"path"
	"strings"

	"github.com/pare-ml/pare/core/memfs"
)

// filesFS presents the files a user dropped as an fs.FS, so that the data
// set and external-data readers work on them exactly as they do on a disk
// folder natively. Paths are cleaned and made relative; the bytes are not
// copied.
func filesFS(files []File) (fs.FS, error) {
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		p := cleanPath(f.Path)
		if p == "" || !fs.ValidPath(p) {
			return nil, userErrorf("bad-file-name", "cannot use the file name %q", f.Path)
		}
		m[p] = f.Bytes
	}
	fsys, err := memfs.New(m)
	if err != nil {
		return nil, userErrorf("bad-file-name", "cannot use these files together: %s", strings.TrimPrefix(err.Error(), "memfs: "))
	}
	return fsys, nil
}

// cleanPath turns a browser-supplied path (which may use backslashes or
// start with "/" or "./") into an fs.FS path.
func cleanPath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}
