package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// siteDir opens dir as pare serve --dir does.
func siteDir(t *testing.T, dir string) *siteHandler {
	t.Helper()
	fsys, _, err := openSiteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return newSiteHandler(fsys)
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// get sends one request to the handler directly, so that paths reach it
// as a hostile client writes them (an http.Client would clean "..").
func get(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://127.0.0.1:8080/", nil)
	req.URL.Path = target
	req.RequestURI = target
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if req.Header.Get("Host") != "" {
		req.Host = req.Header.Get("Host")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServeHeadersAndGzip(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.html": "<!doctype html><title>t</title>", "app.wasm": strings.Repeat("\x00asm", 4096)})
	srv := httptest.NewServer(siteDir(t, dir))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/app.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
		t.Errorf("wasm Content-Type %q", ct)
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || len(body) >= 4*4096 {
		t.Errorf("wasm not gzip-compressed: encoding %q, %d bytes", resp.Header.Get("Content-Encoding"), len(body))
	}
	resp, err = http.Get(srv.URL + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("index: %v %v", err, resp.Status)
	}
	resp.Body.Close()
}

// Every answer, errors included, carries the headers that keep the page on
// its origin and out of other sites' frames.
func TestServeSecurityHeaders(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.html": "<!doctype html>"})
	h := siteDir(t, dir)
	for _, target := range []string{"/", "/missing.js", "/.env"} {
		rec := get(h, "GET", target)
		hdr := rec.Header()
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(hdr.Get("Content-Security-Policy"), want) {
				t.Errorf("%s: CSP %q lacks %q", target, hdr.Get("Content-Security-Policy"), want)
			}
		}
		if hdr.Get("Referrer-Policy") != "no-referrer" || hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: Referrer-Policy %q, X-Content-Type-Options %q", target, hdr.Get("Referrer-Policy"), hdr.Get("X-Content-Type-Options"))
		}
	}
	// The live view is framed by the app, and by nobody else.
	csp := get(h, "GET", "/liveview.html").Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("/liveview.html: CSP %q, want frame-ancestors 'self'", csp)
	}
}

// Nothing outside --dir is reachable: not by "..", encoded or not, not by
// a symbolic link leaving the folder, not as a dotfile, and a folder is
// never listed.
func TestServeStaysInsideItsFolder(t *testing.T) {
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.txt": "SECRET"})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"index.html": "<!doctype html>", "js/app.js": "ok()", "data/real.txt": "INSIDE",
		".env": "SECRET", ".git/config": "SECRET", "css/.hidden.css": "SECRET",
	})
	for link, target := range map[string]string{
		"leak.txt":       filepath.Join(outside, "secret.txt"),
		"outdir":         outside,
		"data/up.txt":    filepath.Join("..", "..", filepath.Base(outside), "secret.txt"),
		"data/alias.txt": "real.txt", // a link that stays inside is fine
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("cannot make symbolic links here: %v", err)
		}
	}
	h := siteDir(t, dir)
	for _, target := range []string{
		"/../" + filepath.Base(outside) + "/secret.txt", "/js/../../" + filepath.Base(outside) + "/secret.txt",
		"/leak.txt", "/outdir/secret.txt", "/data/up.txt",
		"/.env", "/.git/config", "/css/.hidden.css", "/js/", "/data/",
		"/js/app.js\x00.png", "/js\\app.js", "//etc/passwd", "/C:/Windows/win.ini", "/index.html::$DATA",
	} {
		rec := get(h, "GET", target)
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "SECRET") {
			t.Errorf("GET %q: status %d, body %.60q; want 404 and nothing from outside", target, rec.Code, rec.Body.String())
		}
	}
	if rec := get(h, "GET", "/data/alias.txt"); rec.Code != 200 || rec.Body.String() != "INSIDE" {
		t.Errorf("a link inside the folder: status %d body %q", rec.Code, rec.Body.String())
	}
	if rec := get(h, "GET", "/js"); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/js/" {
		t.Errorf("/js: status %d Location %q; want a redirect to /js/", rec.Code, rec.Header().Get("Location"))
	}
}

func TestServeRefusesOtherMethodsAndHosts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.html": "<!doctype html>"})
	h := siteDir(t, dir)
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "TRACE"} {
		rec := get(h, m, "/")
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d Allow %q; want 405 with Allow: GET, HEAD", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if rec := get(h, "HEAD", "/"); rec.Code != 200 {
		t.Errorf("HEAD: status %d", rec.Code)
	}
	// On loopback, a page that rebinds its own name to 127.0.0.1 is refused.
	h.loopbackOnly = true
	for host, want := range map[string]int{"evil.example:8080": 421, "localhost:8080": 200, "127.0.0.1:8080": 200, "[::1]:8080": 200, "LOCALHOST": 200} {
		if rec := get(h, "GET", "/", "Host", host); rec.Code != want {
			t.Errorf("Host %s: status %d, want %d", host, rec.Code, want)
		}
	}
}

// Requests past the concurrency limit are answered 503 at once instead of
// queueing without bound.
func TestServeLimitsConcurrentRequests(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.html": "<!doctype html>"})
	h := siteDir(t, dir)
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	if rec := get(h, "GET", "/"); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("full server: status %d Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	<-h.slots
	if rec := get(h, "GET", "/"); rec.Code != 200 {
		t.Errorf("after a slot freed: status %d", rec.Code)
	}
}

// Idle keep-alive connections once stayed open for ever (no IdleTimeout).
func TestServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout} {
		if d <= 0 || d > 10*time.Minute {
			t.Errorf("%s = %v, want a limit", name, d)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
}

// A pare built without its site, run where no built www/ is, says how to
// get the page; --dir without index.html says what to give.
func TestServeWithoutASite(t *testing.T) {
	if _, _, err := openSite(""); err == nil || !strings.Contains(err.Error(), "make release") {
		t.Errorf("no site: %v; want advice naming make release", err)
	}
	_, errs, code := runPare(t, "serve", "--dir", t.TempDir(), "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "holds no index.html") {
		t.Errorf("empty --dir: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runPare(t, "serve", "www"); code != 2 || !strings.Contains(errs, "--dir www") {
		t.Errorf("serve www: exit %d, stderr %q; want a hint at --dir", code, errs)
	}
}

func TestServePrefersPrecompressedBrotli(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"index.html": "<!doctype html>", "pare.wasm": strings.Repeat("wasm", 1000),
		"images-idx3-ubyte": string(make([]byte, 8000))})
	// The copy is written after the original, as scripts/precompress.mjs does.
	time.Sleep(10 * time.Millisecond)
	writeFiles(t, dir, map[string]string{"pare.wasm.br": "BROTLI"})
	h := siteDir(t, dir)
	rec := get(h, "GET", "/pare.wasm", "Accept-Encoding", "gzip, deflate, br")
	if rec.Header().Get("Content-Encoding") != "br" || rec.Body.String() != "BROTLI" {
		t.Errorf("brotli-capable client got encoding %q body %q", rec.Header().Get("Content-Encoding"), rec.Body.String())
	}
	if rec.Header().Get("Content-Type") != "application/wasm" {
		t.Errorf("precompressed wasm served as %q", rec.Header().Get("Content-Type"))
	}
	if rec := get(h, "GET", "/pare.wasm", "Accept-Encoding", "gzip, br;q=0"); rec.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("br;q=0 client got %q, want gzip", rec.Header().Get("Content-Encoding"))
	}
	// The demo's IDX files have no extension and compress well.
	rec = get(h, "GET", "/images-idx3-ubyte", "Accept-Encoding", "gzip")
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Body.Len() >= 8000 {
		t.Errorf("IDX file: encoding %q, %d bytes", rec.Header().Get("Content-Encoding"), rec.Body.Len())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("IDX file sent as %q, want application/octet-stream", ct)
	}
	if !bytes.Equal(get(h, "GET", "/pare.wasm").Body.Bytes(), []byte(strings.Repeat("wasm", 1000))) {
		t.Error("a client without Accept-Encoding did not get the plain file")
	}
}

// The embedded site has no modification times: a content ETag lets the
// browser revalidate with a 304 instead of downloading the page again.
func TestServeETagRevalidates(t *testing.T) {
	h := newSiteHandler(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}, "pare.wasm": {Data: bytes.Repeat([]byte("wasm"), 1000)}})
	for _, enc := range []string{"", "gzip"} {
		first := get(h, "GET", "/pare.wasm", "Accept-Encoding", enc)
		tag := first.Header().Get("ETag")
		if first.Code != 200 || tag == "" {
			t.Fatalf("encoding %q: status %d ETag %q", enc, first.Code, tag)
		}
		if again := get(h, "GET", "/pare.wasm", "Accept-Encoding", enc, "If-None-Match", tag); again.Code != http.StatusNotModified {
			t.Errorf("encoding %q: revalidation with its ETag got %d, want 304", enc, again.Code)
		}
	}
	plain := get(h, "GET", "/pare.wasm").Header().Get("ETag")
	if gz := get(h, "GET", "/pare.wasm", "Accept-Encoding", "gzip").Header().Get("ETag"); gz == plain {
		t.Errorf("the gzip and plain answers share the ETag %s", gz)
	}
}
