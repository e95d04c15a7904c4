package testassets

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// SharedAssets returns the shared assets directory, skipping t when absent.
func SharedAssets(t testing.TB) string {
	t.Helper()
	return Dir(t, "")
}

// Dir returns the path of sub (a file or folder) inside the shared assets,
// skipping t with a clear message when it is absent. The path is relative
// to the test's working directory (its package directory), the way the
// tests spelled it before.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	p, err := Path(sub)
	if err != nil {
		t.Skipf("shared test assets: %v", err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data %s is absent (%v): it lives beside the repository in ../shared/assets (a fresh clone has none; CI does)", p, err)
	}
	return p
}

// Path returns where sub would be inside the shared assets, relative to the
// working directory, without checking that it exists.
func Path(sub string) (string, error) {
	return fromRepo(filepath.Join("..", "shared", "assets", sub))
}

// Lookup is for tests that run what data they find and only log what is
// missing: it returns where sub would be (as Path does) and whether it is
// there.
func Lookup(sub string) (path string, present bool) {
	p, err := Path(sub)
	if err != nil {
		return "../shared/assets/" + sub, false
	}
	_, err = os.Stat(p)
	return p, err == nil
}

// moduleRoot walks up from dir to the folder holding go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", errors.New("no go.mod above " + dir + ": cannot find the repository root")
		}
		d = up
	}
}

// RepoPath returns where sub (slash-separated, relative to the repository
// root) is, relative to the working directory, so that a test of any
// package can name the repository's own fixtures (testdata/models/...).
func RepoPath(sub string) (string, error) {
	return fromRepo(filepath.FromSlash(sub))
}

// fromRepo returns the path rel (relative to the repository root) relative
// to the working directory.
func fromRepo(rel string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	return filepath.Rel(wd, filepath.Join(root, rel))
}
