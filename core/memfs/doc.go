// Package memfs is a small read-only file system held in memory: a set of
// files given as bytes, presented as an io/fs.FS so that code written for
// a disk folder (os.DirFS) reads them unchanged.
//
// Pare uses it where files arrive as bytes rather than on a disk: the
// files a user drops on the browser page, and the members of a tar
// archive unpacked in memory. It plays the part testing/fstest.MapFS
// plays in tests, without pulling the testing packages into the wasm
// binary.
//
//	fsys, err := memfs.New(map[string][]byte{
//		"digits/0/a.png": pngA,
//		"digits/1/b.png": pngB,
//	})
//	entries, err := fs.ReadDir(fsys, "digits") // "0", "1"
//
// Directories are implied by the file paths, as in a zip archive. The
// bytes are not copied: the caller must not change them afterwards. An FS
// is safe for concurrent use.
package memfs
