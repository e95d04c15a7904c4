package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Case is one pare command line over generated files.
type Case struct {
	// Name identifies the case ("model/truncated-50%/info").
	Name string
	// Args are pare's arguments (the command first); paths are absolute.
	Args []string
	// Want holds text the error output must contain (case-insensitive),
	// naming the problem. Empty with MaySucceed set: any clear outcome.
	Want []string
	// MaySucceed allows exit status 0 (a bit flip in a weight gives a
	// valid model); otherwise the run must fail with status 1 or 2.
	MaySucceed bool
	// Status, when not 0, is the exit status the run must end with
	// (2 for a usage error).
	Status int
	// Warn holds text that must appear in the output of a run that
	// succeeds (a warning about an unknown IR version).
	Warn []string
	// After, when set, checks the files left behind (nothing overwritten).
	After func() error
}

// Outcome classifies how one run ended.
type Outcome string

// Outcomes, worst first.
const (
	Panic     Outcome = "panic"
	OOM       Outcome = "out-of-memory"
	Hang      Outcome = "hang"
	WrongOK   Outcome = "exit 0 with a wrong or unsafe result"
	VagueErr  Outcome = "error that does not name the problem"
	WrongCode Outcome = "wrong exit status"
	ClearErr  Outcome = "clear error"
	OK        Outcome = "success"
)

// Judge classifies a finished run from its exit status and output.
func (c Case) Judge(status int, output string) (Outcome, string) {
	lower := strings.ToLower(output)
	switch {
	case strings.Contains(output, "out of memory") || strings.Contains(output, "cannot allocate"):
		return OOM, firstLine(output)
	case strings.Contains(output, "panic:") || strings.Contains(output, "goroutine ") || strings.Contains(lower, "internal error"):
		return Panic, firstLine(output)
	}
	if status == 0 {
		if c.After != nil {
			if err := c.After(); err != nil {
				return WrongOK, err.Error()
			}
		}
		if !c.MaySucceed {
			return WrongOK, "exit 0; want an error containing " + strings.Join(c.Want, ", ")
		}
		for _, w := range c.Warn {
			if !strings.Contains(lower, strings.ToLower(w)) {
				return WrongOK, fmt.Sprintf("exit 0 without the warning %q", w)
			}
		}
		return OK, ""
	}
	if status != 1 && status != 2 {
		return WrongCode, fmt.Sprintf("exit status %d: %s", status, firstLine(output))
	}
	if c.Status != 0 && status != c.Status {
		return WrongCode, fmt.Sprintf("exit status %d, want %d: %s", status, c.Status, firstLine(output))
	}
	if c.After != nil {
		if err := c.After(); err != nil {
			return WrongOK, err.Error()
		}
	}
	for _, w := range c.Want {
		if !strings.Contains(lower, strings.ToLower(w)) {
			return VagueErr, fmt.Sprintf("missing %q in: %s", w, firstLine(output))
		}
	}
	return ClearErr, ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// writer lays out files under one folder and collects cases.
type writer struct {
	dir   string
	heavy bool // add inputs that take seconds to generate
	cases []Case
	err   error
}

// Write creates the hostile inputs under dir (which must exist and be
// empty) and returns the cases that use them. Cases that need what the
// platform lacks (fifos, devices under wasm) are left out.
//
// heavy adds inputs that take seconds and hundreds of megabytes to make (a
// real 16384x16384 PNG), for the out-of-process harness.
func Write(dir string, heavy bool) ([]Case, error) {
	w := &writer{dir: dir, heavy: heavy}
	w.models()
	w.tensors()
	w.data()
	w.flags()
	if w.err != nil {
		return nil, w.err
	}
	names := map[string]bool{}
	for _, c := range w.cases {
		if names[c.Name] {
			return nil, fmt.Errorf("hostile: two cases named %s", c.Name)
		}
		names[c.Name] = true
	}
	return w.cases, nil
}

// path returns the absolute path of name inside the folder, creating its
// parent folders.
func (w *writer) path(name string) string {
	p := filepath.Join(w.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil && w.err == nil {
		w.err = err
	}
	return p
}

// file writes data to name and returns its path.
func (w *writer) file(name string, data []byte) string {
	p := w.path(name)
	if err := os.WriteFile(p, data, 0o644); err != nil && w.err == nil {
		w.err = err
	}
	return p
}

// symlink makes name a link to target and returns its path, or "" where
// the platform cannot.
func (w *writer) symlink(target, name string) string {
	p := w.path(name)
	if err := os.Symlink(target, p); err != nil {
		return ""
	}
	return p
}

// fifo makes a named pipe, or returns "" where the platform has none.
func (w *writer) fifo(name string) string {
	if runtime.GOOS == "js" || runtime.GOOS == "windows" || runtime.GOOS == "wasip1" {
		return ""
	}
	p := w.path(name)
	if err := mkfifo(p); err != nil {
		return ""
	}
	return p
}

func (w *writer) add(c Case) {
	c.Args = slices.Clone(c.Args)
	w.cases = append(w.cases, c)
}

func (w *writer) fail(err error) {
	if err != nil && w.err == nil {
		w.err = err
	}
}

// truncateTo creates p as a file of size bytes (sparse where the file
// system allows).
func truncateTo(p string, size int64) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Seeds returns the contents of the generated files under dir whose names
// end in one of exts, for seeding fuzz targets: regular files of at most
// 1 MiB (the sparse multi-gigabyte files are left out).
func Seeds(dir string, exts ...string) ([][]byte, error) {
	var seeds [][]byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if !slices.ContainsFunc(exts, func(e string) bool { return strings.HasSuffix(p, e) }) {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 1<<20 {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil {
			seeds = append(seeds, data)
		}
		return err
	})
	return seeds, err
}
