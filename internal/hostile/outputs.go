package hostile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pare-ml/pare/core/onnx"
)

// twoOutputs returns the base model with extra Relu outputs of y, named
// names, which pare run writes beside each other.
func twoOutputs(names ...string) *onnx.Model {
	m := baseModel()
	m.Graph.Output = nil
	for i, n := range names {
		m.Graph.Node = append(m.Graph.Node, &onnx.Node{Name: fmt.Sprintf("out%d", i), OpType: "Relu", Input: []string{"y"}, Output: []string{n}})
		m.Graph.Output = append(m.Graph.Output, &onnx.ValueInfo{Name: n, Type: tensorType(onnx.Float, 1, baseClasses)})
	}
	return m
}

// filesIn counts the regular files directly in dir.
func filesIn(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if e.Type().IsRegular() {
			n++
		}
	}
	return n, nil
}

// outputNames adds pare run cases whose output names collide after
// mapping to file names, or name files outside the output folder.
func (w *writer) outputNames() {
	run := func(name string, m *onnx.Model, c Case) {
		out := w.path("out/names-" + name)
		c.Name = "run/output-names/" + name
		c.Args = []string{"run", w.file("models/outputs-"+name+".onnx", encode(m)), "-i", "x=" + w.validInput(), "-o", out}
		w.add(c)
	}
	// Every output gets its own pair of files, or the run is refused.
	distinct := func(outputs int, out string) func() error {
		return func() error {
			n, err := filesIn(out)
			if err != nil {
				return nil // nothing written: the run refused
			}
			if n != 2*outputs {
				return fmt.Errorf("%d outputs left %d files in %s, want %d (one .pb and one .npy each)", outputs, n, out, 2*outputs)
			}
			return nil
		}
	}
	run("slash-vs-underscore", twoOutputs("a/b", "a_b"), Case{MaySucceed: true, After: distinct(2, w.path("out/names-slash-vs-underscore"))})
	run("case-only", twoOutputs("Out", "out"), Case{MaySucceed: true, After: distinct(2, w.path("out/names-case-only"))})
	run("dotdot", twoOutputs("..", "output"), Case{MaySucceed: true, After: distinct(2, w.path("out/names-dotdot"))})
	run("traversal", twoOutputs("../../escaped"), Case{MaySucceed: true, After: func() error {
		if w.exists(filepath.Join(w.dir, "escaped.npy")) || w.exists(filepath.Join(w.dir, "out", "escaped.npy")) {
			return fmt.Errorf("output ../../escaped was written outside the output folder")
		}
		return distinct(1, w.path("out/names-traversal"))()
	}})
	run("absolute", twoOutputs("/tmp/pare-hostile-abs"), Case{MaySucceed: true, After: func() error {
		if w.exists("/tmp/pare-hostile-abs.npy") {
			os.Remove("/tmp/pare-hostile-abs.npy")
			os.Remove("/tmp/pare-hostile-abs.pb")
			return fmt.Errorf("output /tmp/pare-hostile-abs was written outside the output folder")
		}
		return distinct(1, w.path("out/names-absolute"))()
	}})
	run("empty-and-nul", twoOutputs("\x00", "con"), Case{MaySucceed: true, After: distinct(2, w.path("out/names-empty-and-nul"))})

	// An output named like an input file, written into that file's
	// folder, must not replace it.
	inDir := w.path("out/in-place")
	in := filepath.Join(inDir, "y.npy")
	orig, err := os.ReadFile(w.validInput())
	w.fail(err)
	w.file("out/in-place/y.npy", orig)
	w.add(Case{
		Name: "run/output-named-like-input-file",
		Args: []string{"run", w.validModel(), "-i", "x=" + in, "-o", inDir},
		Want: []string{"y.npy", "reads"}, MaySucceed: true,
		After: func() error {
			now, err := os.ReadFile(in)
			if err != nil || !bytes.Equal(now, orig) {
				return fmt.Errorf("the input %s was overwritten by an output", in)
			}
			return nil
		},
	})
}

// modelWrites adds commands that write a model: they must not replace a
// file they were not asked to, and never leave a half-written model.
func (w *writer) modelWrites() {
	data := w.validData()
	model := w.validModel()
	folder := w.path("out/a-folder")
	w.fail(mkdirAll(folder))
	w.add(Case{Name: "finetune/output-is-folder", Args: []string{"finetune", model, "--data", data, "--epochs", "1", "--batch", "4", "-o", folder},
		Want: []string{"folder"}})
	w.add(Case{Name: "init/output-is-folder", Args: []string{"init", model, "-o", folder}, Want: []string{"folder"}})
	w.add(Case{Name: "init/output-in-missing-folder", Args: []string{"init", model, "-o", w.path("out/missing") + "/deeper/m.onnx"},
		Want: []string{"no such file"}})
	// Writing the model over itself is asked for explicitly; it must
	// leave a complete model (written to a temporary file, then renamed).
	self := w.file("out/self/model.onnx", encode(baseModel()))
	w.add(Case{Name: "init/output-is-input", Args: []string{"init", self, "-o", self}, MaySucceed: true, After: func() error {
		b, err := os.ReadFile(self)
		if err != nil {
			return err
		}
		if _, err := onnx.Decode(b); err != nil {
			return fmt.Errorf("after init -o of the model itself: %v", err)
		}
		n, _ := filesIn(filepath.Dir(self))
		if n != 1 {
			return fmt.Errorf("init -o left %d files beside the model, want 1 (a temporary file left behind?)", n)
		}
		return nil
	}})
}
