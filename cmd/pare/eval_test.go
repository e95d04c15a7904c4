package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIDX writes n random 28x28 images and their labels as an IDX pair
// named PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte.
func writeIDX(t *testing.T, dir, prefix string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	images := binary.BigEndian.AppendUint32(nil, 0x803)
	for _, d := range []int{n, 28, 28} {
		images = binary.BigEndian.AppendUint32(images, uint32(d))
	}
	labels := binary.BigEndian.AppendUint32(nil, 0x801)
	labels = binary.BigEndian.AppendUint32(labels, uint32(n))
	for range n * 28 * 28 {
		images = append(images, byte(r.IntN(256)))
	}
	for range n {
		labels = append(labels, byte(r.IntN(10)))
	}
	for name, data := range map[string][]byte{prefix + "-images-idx3-ubyte": images, prefix + "-labels-idx1-ubyte": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func evalJSON(t *testing.T, args ...string) evalResult {
	t.Helper()
	out, errs, code := runPare(t, append([]string{"eval", demoModel, "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("pare eval %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	var r evalResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// --scale's help says "1/255 gives 0..1", and the page accepts 1/255; the
// flag once refused it as an invalid value.
func TestEvalScaleTakesAFraction(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, "t10k", 20, 1)
	frac := evalJSON(t, "--data", dir, "--scale", "1/255")
	dec := evalJSON(t, "--data", dir, "--scale", fmt.Sprint(1.0/255))
	if frac.Correct != dec.Correct || frac.Count != 20 {
		t.Errorf("--scale 1/255: %d of %d right; --scale %v: %d", frac.Correct, frac.Count, 1.0/255, dec.Correct)
	}
	if _, errs, code := runPare(t, "eval", demoModel, "--data", dir, "--scale", "1/0"); code != 2 || !strings.Contains(errs, "fraction such as 1/255") {
		t.Errorf("--scale 1/0: exit %d, stderr %q; want a usage error naming the forms", code, errs)
	}
}

// On a folder holding train and test files, eval loads the test split and
// its note says to set the split to train: --split train does that.
func TestEvalSplit(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, "train", 30, 2)
	writeIDX(t, dir, "t10k", 10, 3)
	def := evalJSON(t, "--data", dir)
	if def.Count != 10 || !strings.Contains(strings.Join(def.Notes, " "), "set the split to train") {
		t.Errorf("default: %d images, notes %q; want the 10 test images and a note on the split", def.Count, def.Notes)
	}
	if tr := evalJSON(t, "--data", dir, "--split", "train"); tr.Count != 30 {
		t.Errorf("--split train evaluated %d images, want the 30 training ones", tr.Count)
	}
	if te := evalJSON(t, "--data", dir, "--split", "test"); te.Count != 10 || len(te.Notes) != 0 {
		t.Errorf("--split test: %d images, notes %q; want 10 and no note", te.Count, te.Notes)
	}
	if _, errs, code := runPare(t, "eval", demoModel, "--data", dir, "--split", "val"); code == 0 || !strings.Contains(errs, `unknown split "val"`) {
		t.Errorf("--split val: exit %d, stderr %q", code, errs)
	}
}

// A digits CSV (pixels 0..16) evaluated by an MNIST model scored 57 % with
// only a size warning; the value range is now named with the scale to use.
func TestEvalWarnsOfTheValueRange(t *testing.T) {
	var b strings.Builder
	r := rand.New(rand.NewPCG(4, 1))
	for range 5 {
		for range 28 * 28 {
			fmt.Fprintf(&b, "%d,", r.IntN(17))
		}
		fmt.Fprintf(&b, "%d\n", r.IntN(10))
	}
	csv := filepath.Join(t.TempDir(), "digits.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res := evalJSON(t, "--data", csv)
	if notes := strings.Join(res.Notes, " "); !strings.Contains(notes, "0..16, not 0..255") || !strings.Contains(notes, "15.9375") {
		t.Errorf("notes %q do not name the 0..16 range and the scale that fits it", res.Notes)
	}
}
