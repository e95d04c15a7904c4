package main

import (
	"io/fs"
	"path"
	"strings"
	"testing/fstest"
	"time"
)

// filesFS presents the files a user dropped as an fs.FS, so that the data
// set and external-data readers work on them exactly as they do on a disk
// folder natively. Paths are cleaned and made relative; the bytes are not
// copied.
func filesFS(files []File) (fs.FS, error) {
	m := fstest.MapFS{}
	for _, f := range files {
		p := cleanPath(f.Path)
		if p == "" || !fs.ValidPath(p) {
			return nil, userErrorf("bad-file-name", "cannot use the file name %q", f.Path)
		}
		m[p] = &fstest.MapFile{Data: f.Bytes, Mode: 0o444, ModTime: time.Unix(0, 0)}
	}
	return m, nil
}

// cleanPath turns a browser-supplied path (which may use backslashes or
// start with "/" or "./") into an fs.FS path.
func cleanPath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}
