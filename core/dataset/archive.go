package dataset

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pare-ml/pare/core/memfs"
)

// isArchiveName says whether a file name looks like an archive this package
// opens (detection itself is by content).
func isArchiveName(n string) bool {
	lower := strings.ToLower(n)
	for _, ext := range []string{".zip", ".tar", ".tar.gz", ".tgz"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// openArchive returns the contents of a zip or (gzipped) tar file as an
// fs.FS, or nil when p is neither.
func openArchive(fsys fs.FS, p string, budget *budgetTracker) (fs.FS, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	var head [4]byte
	n, err := io.ReadFull(f, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("dataset: reading %s: %w", p, err)
	}
	if n == 4 && (bytes.Equal(head[:], []byte("PK\x03\x04")) || bytes.Equal(head[:], []byte("PK\x05\x06"))) {
		return openZip(fsys, p, budget)
	}
	// A tar is recognised by "ustar" in its first header, after gunzip
	// when the file is compressed (CIFAR-10 ships as cifar-10-binary.tar.gz).
	g, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer g.Close()
	r, err := maybeGunzip(g, p)
	if err != nil {
		return nil, nil // not a readable gzip: let the format detectors say what is wrong
	}
	br := bufio.NewReaderSize(r, 1024)
	block, _ := br.Peek(512)
	if len(block) < 512 || string(block[257:262]) != "ustar" {
		return nil, nil
	}
	return readTar(br, p, budget)
}

// openZip reads a zip archive whole (within the budget: its members are
// read again when images are decoded lazily) and returns it as an fs.FS.
func openZip(fsys fs.FS, p string, budget *budgetTracker) (fs.FS, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	data, err := readAllLimited(f, budget.limit-budget.used, p)
	if err != nil {
		return nil, err
	}
	if err := budget.reserve(p, 1, int64(len(data))); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("dataset: %s is not a readable zip archive: %v", p, err)
	}
	return zr, nil
}

// readTar unpacks a tar stream's regular files into memory. A tar has no
// index to open members from, so it is read once, whole, within the budget.
func readTar(r io.Reader, p string, budget *budgetTracker) (fs.FS, error) {
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: %s is not a readable tar archive: %v", p, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		if !fs.ValidPath(name) || name == "." {
			continue // names like ../x cannot be reached through an fs.FS anyway
		}
		if err := budget.reserve(fmt.Sprintf("%s member %s", p, name), 1, hdr.Size); err != nil {
			return nil, err
		}
		data, err := readPayload(tr, hdr.Size, p+": "+name)
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("dataset: %s is a tar archive with no files", p)
	}
	fsys, err := memfs.New(files)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s cannot be opened as a folder: %s", p, strings.TrimPrefix(err.Error(), "memfs: "))
	}
	return fsys, nil
}
