package dataset

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
)

// gzipMagic starts every gzip stream; compression is detected by content,
// not by file name.
var gzipMagic = []byte{0x1f, 0x8b}

// openMaybeGzip opens name and returns a reader of its content,
// decompressed when it is gzip.
func openMaybeGzip(fsys fs.FS, name string) (io.Reader, func() error, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %w", err)
	}
	r, err := maybeGunzip(f, name)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f.Close, nil
}

// maybeGunzip wraps r in a gzip reader when its first bytes say gzip.
func maybeGunzip(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("dataset: reading %s: %w", name, err)
	}
	if len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s looks gzip-compressed but its header is damaged: %w", name, err)
		}
		return zr, nil
	}
	return br, nil
}

// readPayload reads exactly n bytes. It allocates as data arrives rather
// than trusting n up front, so a header that lies about the size of a short
// file costs only what the file holds.
func readPayload(r io.Reader, n int64, name string) ([]byte, error) {
	const firstChunk = 16 << 20
	buf := make([]byte, 0, min(n, firstChunk))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, int64(2*cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		got, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+got]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("dataset: %s is truncated: its header promises %d bytes of data but only %d follow", name, n, len(buf))
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: reading %s: %w", name, err)
		}
	}
	return buf, nil
}

// expectEOF reports data left after what the header described.
func expectEOF(r io.Reader, name string) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return fmt.Errorf("dataset: %s has more data than its header describes: is it the right file?", name)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("dataset: reading %s: %w", name, err)
	}
	return nil
}

// readAllLimited reads r whole, failing once it passes limit bytes.
func readAllLimited(r io.Reader, limit int64, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("dataset: reading %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, &BudgetError{What: "reading " + name, Need: int64(len(data)), Budget: limit}
	}
	return data, nil
}
