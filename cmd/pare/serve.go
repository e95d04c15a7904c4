package main

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pare-ml/pare/internal/webapp"
)

// Server limits: generous for a page of a few megabytes on a local network,
// short enough that idle or stalled clients cannot hold connections open.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 5 * time.Minute // the wasm binary to a slow client
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 32 << 10
	maxConcurrent     = 64 // requests served at once; more get 503
)

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [--addr 127.0.0.1:8080] [--dir FOLDER]", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; the default is reachable from this machine only (port 0 picks a free port)")
	dir := fs.String("dir", "", "serve the web app from this folder (development: www/ of a checkout) instead of the copy built into pare")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("takes no arguments (did you mean --dir %s?)", pos[0])
	}
	site, where, err := openSite(*dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v (is another server using the port? try --addr 127.0.0.1:0)", *addr, err)
	}
	h := newSiteHandler(site)
	h.loopbackOnly = isLoopback(ln.Addr())
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(stdout, "Pare is being served from %s\nOpen %s in a browser (Ctrl-C stops the server).\n", where, url)
	if !h.loopbackOnly {
		fmt.Fprintf(stderr, "pare serve: %s is reachable from other machines: anyone who can connect can use the page (models and data still stay in each visitor's browser)\n", ln.Addr())
	}
	go h.warm()
	return newServer(h).Serve(ln)
}

// newServer wraps the handler in a server whose every phase has a limit:
// a client that stalls or idles is dropped instead of holding a connection.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// openSite returns the files to serve and where they come from: the
// folder --dir names (opened as an os.Root, so no link leads outside it),
// else the site built into this binary, else www/ of the checkout pare
// runs from.
func openSite(dir string) (fs.FS, string, error) {
	if dir != "" {
		return openSiteDir(dir)
	}
	if webapp.Embedded() {
		return webapp.Files(), "the site built into pare " + version, nil
	}
	var tried []string
	candidates := []string{"www"}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		candidates = append(candidates, filepath.Join(d, "www"), filepath.Join(d, "..", "www"))
	}
	for _, c := range candidates {
		if st, err := os.Stat(filepath.Join(c, "index.html")); err == nil && !st.IsDir() {
			if _, err := os.Stat(filepath.Join(c, "pare.wasm")); err == nil {
				return openSiteDir(c)
			}
		}
		tried = append(tried, c)
	}
	return nil, "", fmt.Errorf("this pare was built without its web app, and no built www/ is here (looked in %s): "+
		"download a release binary, run 'make serve' in a checkout, or build one with 'make release' (bin/pare-release); "+
		"'make site' writes the page as a folder any static web server can host", strings.Join(tried, ", "))
}

func openSiteDir(dir string) (fs.FS, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", err
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, "", fmt.Errorf("cannot serve --dir %s: %v", dir, err)
	}
	site := root.FS()
	if st, err := fs.Stat(site, "index.html"); err != nil || st.IsDir() {
		root.Close()
		return nil, "", fmt.Errorf("--dir %s holds no index.html: give the folder of the web app (www/ after 'make build demo', or the output of 'make site')", dir)
	}
	return site, abs, nil
}

// isLoopback reports whether a listener accepts only connections from
// this machine.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
