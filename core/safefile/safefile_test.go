package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(p, 0); err != nil || string(got) != "hello" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	var tooLarge *TooLargeError
	if _, err := ReadFile(p, 4); !errors.As(err, &tooLarge) || tooLarge.Size != 5 {
		t.Fatalf("limit 4: got %v, want a TooLargeError of 5 bytes", err)
	}
	if _, err := ReadFile(dir, 0); err == nil || !strings.Contains(err.Error(), "a folder, not a regular file") {
		t.Fatalf("folder: got %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := ReadFile("/dev/zero", 0); err == nil || !strings.Contains(err.Error(), "a device") {
			t.Fatalf("/dev/zero: got %v", err)
		}
	}
}

func TestFolderStaysInside(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(root, "secret.bin")
	model := filepath.Join(root, "model")
	if err := os.MkdirAll(filepath.Join(model, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, data := range map[string]string{outside: "secret", filepath.Join(model, "w.bin"): "weights", filepath.Join(model, "sub", "v.bin"): "more"} {
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := os.Symlink(outside, filepath.Join(model, "link.bin")) == nil &&
		os.Symlink("../secret.bin", filepath.Join(model, "rel.bin")) == nil &&
		os.Symlink("w.bin", filepath.Join(model, "inside.bin")) == nil
	d, err := OpenFolder(model)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name, want := range map[string]string{"w.bin": "weights", "sub/v.bin": "more"} {
		if got, err := d.ReadFile(name, 0); err != nil || string(got) != want {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	refused := []string{"../secret.bin", "sub/../../secret.bin", outside, "sub"}
	if links {
		refused = append(refused, "link.bin", "rel.bin")
		if got, err := d.ReadFile("inside.bin", 0); err != nil || string(got) != "weights" {
			t.Errorf("a link that stays inside: %q, %v", got, err)
		}
	}
	for _, name := range refused {
		if got, err := d.ReadFile(name, 0); err == nil {
			t.Errorf("%s: read %q, want an error", name, got)
		}
	}
	if links {
		if _, err := d.ReadFile("link.bin", 0); err == nil || !strings.Contains(err.Error(), "outside the model's folder") {
			t.Errorf("link.bin: got %v, want advice naming the escape", err)
		}
	}
}
