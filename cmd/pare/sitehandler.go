package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// siteHandler serves the static app from a file system (a folder opened
// as an os.Root, or the site embedded in the binary) with the MIME types
// browsers insist on (application/wasm for streaming compilation), brotli
// or gzip for compressible files, and headers that keep every request on
// this origin: the model and data never leave the machine.
//
// It answers only GET and HEAD, never lists a folder, never serves a
// dotfile, and refuses Host names other than this machine's when it
// listens on loopback (a DNS-rebinding page cannot read it).
type siteHandler struct {
	fsys         fs.FS
	loopbackOnly bool
	slots        chan struct{} // one token per request in flight
	mu           sync.Mutex
	gz           map[string]gzEntry
	etags        map[string]etagEntry
}

type etagEntry struct {
	modTime time.Time
	size    int64
	tag     string
}

type gzEntry struct {
	modTime time.Time
	size    int64
	data    []byte
}

func newSiteHandler(fsys fs.FS) *siteHandler {
	return &siteHandler{fsys: fsys, slots: make(chan struct{}, maxConcurrent), gz: map[string]gzEntry{}, etags: map[string]etagEntry{}}
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

// contentSecurityPolicy keeps every fetch, worker and frame on this origin,
// and forbids any site, this one included, from framing the page
// (clickjacking).
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// framedPage is the one page meant to be framed: the live view, which the
// app embeds in an iframe. It may be framed by this origin only.
const framedPage = "/liveview.html"

var framedPagePolicy = strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors 'self'", 1)

// securityHeaders go on every answer, errors included.
var securityHeaders = [][2]string{
	{"Content-Security-Policy", contentSecurityPolicy},
	{"X-Content-Type-Options", "nosniff"},
	{"Referrer-Policy", "no-referrer"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Embedder-Policy", "require-corp"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
	{"Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"},
}

func (h *siteHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	for _, kv := range securityHeaders {
		hdr.Set(kv[0], kv[1])
	}
	if path.Clean(r.URL.Path) == framedPage {
		hdr.Set("Content-Security-Policy", framedPagePolicy)
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		hdr.Set("Retry-After", "1")
		http.Error(w, "busy: too many requests at once", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: this server only sends files (GET, HEAD)", http.StatusMethodNotAllowed)
		return
	}
	if h.loopbackOnly && !isLocalHost(r.Host) {
		http.Error(w, "this server answers only to localhost, 127.0.0.1 and [::1]", http.StatusMisdirectedRequest)
		return
	}
	name, err := sitePath(r.URL.Path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	st, err := fs.Stat(h.fsys, name)
	if err == nil && st.IsDir() {
		if !strings.HasSuffix(r.URL.Path, "/") {
			// A folder is served as its index.html, at a URL ending in
			// "/" so the page's relative links resolve inside it.
			http.Redirect(w, r, path.Base(r.URL.Path)+"/", http.StatusMovedPermanently)
			return
		}
		name = path.Join(name, "index.html")
		st, err = fs.Stat(h.fsys, name)
	}
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	ext := strings.ToLower(path.Ext(name))
	// An unknown type is sent as bytes: left unset, Go would sniff the type
	// from the (compressed) body and label the demo's IDX files x-gzip.
	ct, ok := contentTypes[ext]
	if !ok {
		ct = "application/octet-stream"
	}
	hdr.Set("Content-Type", ct)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Add("Vary", "Accept-Encoding")

	if compressible(ext) {
		// A brotli or gzip file made at build time (scripts/precompress.mjs)
		// beside the original wins; otherwise gzip on the fly, once.
		for _, enc := range []struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if !acceptsEncoding(r, enc.name) {
				continue
			}
			if pre, err := fs.Stat(h.fsys, name+enc.suffix); err == nil && pre.Mode().IsRegular() && !pre.ModTime().Before(st.ModTime()) {
				if h.serveFile(w, r, name+enc.suffix, st.ModTime(), enc.name) == nil {
					return
				}
			}
		}
		if acceptsEncoding(r, "gzip") {
			if data, err := h.gzipped(name, st); err == nil {
				if tag, err := h.etag(name); err == nil {
					hdr.Set("ETag", strings.TrimSuffix(tag, `"`)+`.gzip"`) // not the plain file's tag
				}
				hdr.Set("Content-Encoding", "gzip")
				http.ServeContent(w, r, "", st.ModTime(), bytes.NewReader(data))
				return
			}
		}
	}
	if err := h.serveFile(w, r, name, st.ModTime(), ""); err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
	}
}

// serveFile sends one file of the site, with Content-Encoding enc when it
// is a precompressed copy; it writes nothing when it returns an error.
func (h *siteHandler) serveFile(w http.ResponseWriter, r *http.Request, name string, modTime time.Time, enc string) error {
	f, err := h.fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return errors.New("file is not seekable")
	}
	if tag, err := h.etag(name); err == nil {
		w.Header().Set("ETag", tag)
	}
	if enc != "" {
		w.Header().Set("Content-Encoding", enc)
	}
	http.ServeContent(w, r, "", modTime, rs)
	return nil
}

// etag returns a validator from a file's contents, computed once per
// modification time and size. The embedded site has no modification
// times, so without it every visit would download the page again; with
// it the service worker's revalidation costs a 304.
func (h *siteHandler) etag(name string) (string, error) {
	st, err := fs.Stat(h.fsys, name)
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	e, ok := h.etags[name]
	h.mu.Unlock()
	if ok && e.modTime.Equal(st.ModTime()) && e.size == st.Size() {
		return e.tag, nil
	}
	f, err := h.fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	tag := `"` + hex.EncodeToString(sum.Sum(nil)[:12]) + `"`
	h.mu.Lock()
	h.etags[name] = etagEntry{modTime: st.ModTime(), size: st.Size(), tag: tag}
	h.mu.Unlock()
	return tag, nil
}

// errNotServed marks a path the server refuses to reveal (dotfiles,
// escapes); it is answered 404 like a missing file.
var errNotServed = errors.New("not served")

// sitePath maps a URL path to a name inside the site's file system: "/"
// and folders ending in "/" are their index.html (as "index.html" or
// "demo"); dotfiles, "..", backslashes, colons (Windows drive letters and
// alternate data streams) and NUL bytes are refused.
func sitePath(urlPath string) (string, error) {
	if strings.ContainsAny(urlPath, "\\:\x00") {
		return "", errNotServed
	}
	trimmed := strings.Trim(urlPath, "/")
	if trimmed == "" {
		return "index.html", nil
	}
	for seg := range strings.SplitSeq(trimmed, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return "", errNotServed // "a//b", "..", ".git", ".env"
		}
	}
	if !fs.ValidPath(trimmed) {
		return "", errNotServed
	}
	return trimmed, nil
}

// isLocalHost reports whether a Host header names this machine.
func isLocalHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// acceptsEncoding reports whether the request's Accept-Encoding lists name
// with a non-zero quality.
func acceptsEncoding(r *http.Request, name string) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
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
	fs.WalkDir(h.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible(strings.ToLower(path.Ext(p))) {
			return nil
		}
		st, err := d.Info()
		if err != nil || !st.Mode().IsRegular() || st.Size() < 64<<10 {
			return nil
		}
		if _, err := fs.Stat(h.fsys, p+".gz"); err == nil {
			return nil
		}
		h.gzipped(p, st)
		return nil
	})
}

// maxGzipOnTheFly bounds the files compressed in memory on request; larger
// ones are sent as they are.
const maxGzipOnTheFly = 64 << 20

// gzipped returns the gzip encoding of a file, compressing it once per
// modification time (the wasm binary compresses from ~3 MB to ~1 MB).
func (h *siteHandler) gzipped(name string, st fs.FileInfo) ([]byte, error) {
	h.mu.Lock()
	e, ok := h.gz[name]
	h.mu.Unlock()
	if ok && e.modTime.Equal(st.ModTime()) && e.size == st.Size() {
		return e.data, nil
	}
	if st.Size() > maxGzipOnTheFly {
		return nil, errors.New("too large to compress on the fly")
	}
	raw, err := fs.ReadFile(h.fsys, name)
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
	h.mu.Lock()
	h.gz[name] = gzEntry{modTime: st.ModTime(), size: st.Size(), data: buf.Bytes()}
	h.mu.Unlock()
	return buf.Bytes(), nil
}
