package memfs

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func sample(t *testing.T) *FS {
	t.Helper()
	m, err := New(map[string][]byte{
		"readme.txt":        []byte("hello"),
		"digits/0/a.png":    []byte("png a"),
		"digits/0/b.png":    []byte("png b"),
		"digits/1/c.png":    []byte("png c"),
		"digits/labels.csv": []byte(""),
		"deep/x/y/z/w.bin":  {1, 2, 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConformsToFS runs the standard library's checks of fs.FS behaviour:
// Open, ReadFile, ReadDir (whole and in chunks), Stat, Seek and ReadAt.
func TestConformsToFS(t *testing.T) {
	m := sample(t)
	if err := fstest.TestFS(m, "readme.txt", "digits/0/a.png", "digits/0/b.png", "digits/1/c.png", "digits/labels.csv", "deep/x/y/z/w.bin"); err != nil {
		t.Fatal(err)
	}
	empty, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(empty); err != nil {
		t.Fatal(err)
	}
}

func TestDirectoriesAreImpliedAndSorted(t *testing.T) {
	m := sample(t)
	for dir, want := range map[string]string{
		".":        "deep/ digits/ readme.txt",
		"digits":   "0/ 1/ labels.csv",
		"digits/0": "a.png b.png",
		"deep/x/y": "z/",
	} {
		entries, err := fs.ReadDir(m, dir)
		if err != nil {
			t.Fatalf("ReadDir(%q): %v", dir, err)
		}
		var names []string
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() {
				n += "/"
			}
			names = append(names, n)
		}
		if got := strings.Join(names, " "); got != want {
			t.Errorf("ReadDir(%q) = %q, want %q", dir, got, want)
		}
	}
	info, err := fs.Stat(m, "digits/0/b.png")
	if err != nil || info.Size() != 5 || info.IsDir() || info.Name() != "b.png" {
		t.Errorf("Stat(digits/0/b.png) = %v, %v", info, err)
	}
}

func TestBadPathsAreRefused(t *testing.T) {
	for _, name := range []string{"/abs", "./a", "a/../b", "a//b", "", ".", "a/"} {
		if _, err := New(map[string][]byte{name: nil}); err == nil || !strings.Contains(err.Error(), "not a valid file path") {
			t.Errorf("New with %q: got %v, want an invalid-path error", name, err)
		}
	}
}

func TestFileThatIsAlsoADirectoryIsRefused(t *testing.T) {
	_, err := New(map[string][]byte{"a": []byte("x"), "a/b": []byte("y")})
	if err == nil || !strings.Contains(err.Error(), `"a" is a file and also the directory`) {
		t.Fatalf("got %v", err)
	}
}

func TestMissingAndWrongKind(t *testing.T) {
	m := sample(t)
	if _, err := m.Open("nope.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(nope.txt): %v", err)
	}
	if _, err := m.Open("../etc/passwd"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Open(../etc/passwd): %v", err)
	}
	if _, err := m.ReadFile("digits"); err == nil {
		t.Error("ReadFile of a directory succeeded")
	}
	if _, err := m.ReadDir("readme.txt"); err == nil {
		t.Error("ReadDir of a file succeeded")
	}
	if _, err := fs.Stat(m, "digits/9"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat(digits/9): %v", err)
	}
	d, err := m.Open("digits")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(make([]byte, 4)); err == nil {
		t.Error("Read of a directory succeeded")
	}
}

func TestReadDirInChunksEndsWithEOF(t *testing.T) {
	f, err := sample(t).Open("digits")
	if err != nil {
		t.Fatal(err)
	}
	d := f.(fs.ReadDirFile)
	var got []string
	for {
		chunk, err := d.ReadDir(2)
		for _, e := range chunk {
			got = append(got, e.Name())
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(chunk) == 0 {
			t.Fatal("ReadDir(2) returned nothing and no io.EOF")
		}
	}
	if strings.Join(got, " ") != "0 1 labels.csv" {
		t.Errorf("chunks gave %v", got)
	}
}

// TestBytesAreShared documents that New keeps the caller's bytes (the
// browser hands over large files) while ReadFile returns a copy.
func TestBytesAreShared(t *testing.T) {
	data := []byte("abc")
	m, err := New(map[string][]byte{"f": data})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := m.ReadFile("f")
	got[0] = 'X'
	again, _ := m.ReadFile("f")
	if string(again) != "abc" {
		t.Errorf("ReadFile returned the FS's own bytes: %q", again)
	}
	data[0] = 'Z'
	again, _ = m.ReadFile("f")
	if string(again) != "Zbc" {
		t.Errorf("New copied the bytes: %q", again)
	}
}

func FuzzNew(f *testing.F) {
	f.Add("a/b.png", "a/c.png", "d")
	f.Add("a", "a/b", "")
	f.Add("../x", "/y", "z//w")
	f.Fuzz(func(t *testing.T, p1, p2, p3 string) {
		m, err := New(map[string][]byte{p1: []byte("1"), p2: []byte("22"), p3: nil})
		if err != nil {
			return
		}
		// Whatever was accepted must read back and list consistently.
		for _, p := range []string{p1, p2, p3} {
			if _, err := m.ReadFile(p); err != nil {
				t.Fatalf("ReadFile(%q) after New accepted it: %v", p, err)
			}
		}
		if err := fs.WalkDir(m, ".", func(string, fs.DirEntry, error) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
}
