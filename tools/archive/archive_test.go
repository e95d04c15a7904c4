package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestPackIsReproducibleAndComplete(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"index.html": "<!doctype html>", "js/app.js": "ok()", "demo/x": "IDX"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	os.Chmod(filepath.Join(dir, "demo", "x"), 0o700)
	out := t.TempDir()
	for _, ext := range []string{".zip", ".tar.gz"} {
		a, b := filepath.Join(out, "a"+ext), filepath.Join(out, "b"+ext)
		if err := pack(a, dir, "site"); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(filepath.Join(dir, "index.html"), stamp.AddDate(1, 0, 0), stamp.AddDate(1, 0, 0))
		if err := pack(b, dir, "site"); err != nil {
			t.Fatal(err)
		}
		ab, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		if !bytes.Equal(ab, bb) {
			t.Errorf("%s: two packs of the same files differ", ext)
		}
		got := map[string]string{}
		if ext == ".zip" {
			zr, err := zip.NewReader(bytes.NewReader(ab), int64(len(ab)))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				rc, _ := f.Open()
				data, _ := io.ReadAll(rc)
				got[f.Name+" "+f.Mode().String()] = string(data)
			}
		} else {
			gz, err := gzip.NewReader(bytes.NewReader(ab))
			if err != nil {
				t.Fatal(err)
			}
			tr := tar.NewReader(gz)
			for h, err := tr.Next(); err == nil; h, err = tr.Next() {
				data, _ := io.ReadAll(tr)
				got[h.Name+" "+h.FileInfo().Mode().String()] = string(data)
			}
		}
		want := map[string]string{"site/index.html -rw-r--r--": "<!doctype html>", "site/js/app.js -rw-r--r--": "ok()", "site/demo/x -rwxr-xr-x": "IDX"}
		if len(got) != len(want) {
			t.Errorf("%s holds %v, want %v", ext, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (all: %v)", ext, k, got[k], v, got)
			}
		}
	}
	if err := pack(filepath.Join(out, "x.rar"), dir, ""); err == nil {
		t.Error("an unknown archive type was accepted")
	}
	if err := pack(filepath.Join(out, "e.zip"), t.TempDir(), ""); err == nil {
		t.Error("an empty folder was packed")
	}
}
