package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:8080] [--dir www]", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	dir := fs.String("dir", "", "folder of the web app (default: www beside the working directory or the executable)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	root, err := findSiteDir(*dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v (is another server using the port? try --addr 127.0.0.1:0)", *addr, err)
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "Pare is being served from %s\nOpen %s in a browser (Ctrl-C stops the server).\n", root, url)
	site := newSiteHandler(root)
	go site.warm()
	srv := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// findSiteDir returns the web app folder: the flag's value, else ./www,
// else www next to (or one level above) the executable.
func findSiteDir(flagValue string) (string, error) {
	candidates := []string{flagValue}
	if flagValue == "" {
		candidates = []string{"www"}
		if exe, err := os.Executable(); err == nil {
			d := filepath.Dir(exe)
			candidates = append(candidates, filepath.Join(d, "www"), filepath.Join(d, "..", "www"))
		}
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(filepath.Join(c, "index.html")); err == nil && !st.IsDir() {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("no web app found (looked for index.html in %s); run 'make serve' from the repository, or pass --dir", strings.Join(candidates, ", "))
}

// siteHandler serves the static app with the MIME types browsers insist on
// (application/wasm for streaming compilation), brotli or gzip for
// compressible files, and a Content-Security-Policy that keeps every request on this
// origin: the model and data never leave the machine.
type siteHandler struct {
	root string
	mu   sync.Mutex
	gz   map[string]gzEntry
}

type gzEntry struct {
	modTime time.Time
	size    int64
	data    []byte
}

func newSiteHandler(root string) *siteHandler {
	return &siteHandler{root: root, gz: map[string]gzEntry{}}
}

var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".wasm":        "application/wasm",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".onnx":        "application/octet-stream",
	".bin":         "application/octet-stream",
	".gz":          "application/gzip",
	".md":          "text/markdown; charset=utf-8",
}

// compressible reports whether a file is worth compressing: everything but
// formats that are compressed already. Files without an extension (the
// demo's IDX image files) compress well and are included.
func compressible(ext string) bool {
	switch ext {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".gz", ".br", ".zip", ".woff2":
		return false
	}
	return true
}

const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'"

func (h *siteHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	clean := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(clean, "/") || clean == "/" {
		clean = path.Join(clean, "index.html")
	}
	file := filepath.Join(h.root, filepath.FromSlash(clean))
	st, err := os.Stat(file)
	if err == nil && st.IsDir() {
		file = filepath.Join(file, "index.html")
		st, err = os.Stat(file)
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ext := strings.ToLower(filepath.Ext(file))
	hdr := w.Header()
	// An unknown type is sent as bytes: left unset, Go would sniff the type
	// from the (compressed) body and label the demo's IDX files x-gzip.
	ct, ok := contentTypes[ext]
	if !ok {
		ct = "application/octet-stream"
	}
	hdr.Set("Content-Type", ct)
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Cross-Origin-Embedder-Policy", "require-corp")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Add("Vary", "Accept-Encoding")

	if compressible(ext) {
		// A brotli or gzip file made at build time (scripts/precompress.mjs)
		// beside the original wins; otherwise gzip on the fly, once.
		for _, enc := range []struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if !acceptsEncoding(r, enc.name) {
				continue
			}
			if pre, err := os.Stat(file + enc.suffix); err == nil && !pre.ModTime().Before(st.ModTime()) {
				if f, err := os.Open(file + enc.suffix); err == nil {
					defer f.Close()
					hdr.Set("Content-Encoding", enc.name)
					http.ServeContent(w, r, "", st.ModTime(), f)
					return
				}
			}
		}
		if acceptsEncoding(r, "gzip") {
			if data, err := h.gzipped(file, st); err == nil {
				hdr.Set("Content-Encoding", "gzip")
				http.ServeContent(w, r, "", st.ModTime(), bytes.NewReader(data))
				return
			}
		}
	}
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// acceptsEncoding reports whether the request's Accept-Encoding lists name
// with a non-zero quality.
func acceptsEncoding(r *http.Request, name string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) != name {
			continue
		}
		return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
	}
	return false
}

// warm compresses the site's larger compressible files that have no
// precompressed copy, so the first visitor does not wait for gzip -9 of a
// multi-megabyte file. It runs in the background when the server starts.
func (h *siteHandler) warm() {
	filepath.WalkDir(h.root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible(strings.ToLower(filepath.Ext(p))) {
			return nil
		}
		st, err := d.Info()
		if err != nil || st.Size() < 64<<10 {
			return nil
		}
		if _, err := os.Stat(p + ".gz"); err == nil {
			return nil
		}
		h.gzipped(p, st)
		return nil
	})
}

// gzipped returns the gzip encoding of file, compressing it once per
// modification time (the wasm binary compresses from ~3 MB to ~1 MB).
func (h *siteHandler) gzipped(file string, st os.FileInfo) ([]byte, error) {
	h.mu.Lock()
	e, ok := h.gz[file]
	h.mu.Unlock()
	if ok && e.modTime.Equal(st.ModTime()) && e.size == st.Size() {
		return e.data, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if buf.Len() == 0 {
		return nil, errors.New("empty gzip output")
	}
	h.mu.Lock()
	h.gz[file] = gzEntry{modTime: st.ModTime(), size: st.Size(), data: buf.Bytes()}
	h.mu.Unlock()
	return buf.Bytes(), nil
}
