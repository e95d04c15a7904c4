package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// pruneTuneFlags are pare prune's fine-tuning flags: with --data, the
// pruned model is fine-tuned as 'pare finetune' would, distilled from the
// model given by default (the recovery after pruning; docs/pruning.md).
type pruneTuneFlags struct {
	epochs    int
	val       string
	noDistill bool
	pre       preprocessFlags
}

func (t *pruneTuneFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&t.epochs, "finetune-epochs", 1, "with --data: epochs of fine-tuning after the surgery (0: none)")
	fs.StringVar(&t.val, "val", "", "with --data: validation images for the fine-tune (default: a held-out tenth of --data)")
	fs.BoolVar(&t.noDistill, "no-distill", false, "with --data: fine-tune on the labels alone (default: also distil from MODEL)")
	t.pre.register(fs, "with --data")
}

// given reports which fine-tuning flag was set, for the error when --data
// is missing.
func (t *pruneTuneFlags) given(fs *flag.FlagSet) string {
	for _, name := range append([]string{"finetune-epochs", "val", "no-distill"}, preprocessFlagNames...) {
		if flagSet(fs, name) {
			return name
		}
	}
	return ""
}

// finetunePruned fine-tunes the pruned file at out in place: 'pare
// finetune' with its defaults on data (split), distilled from original
// unless noDistill. It returns finetune's JSON report (asJSON) or prints
// its text to stdout.
func (t *pruneTuneFlags) finetunePruned(original, out, data, split string, asJSON bool, stdout, stderr io.Writer) (json.RawMessage, error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".pruned-*.onnx")
	if err != nil {
		return nil, fmt.Errorf("a temporary file beside %s for the fine-tune: %w", out, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if err := os.Rename(out, tmp.Name()); err != nil {
		return nil, err
	}
	args := append([]string{tmp.Name(), "--data", data, "--split", split, "--epochs", strconv.Itoa(t.epochs), "-o", out}, t.pre.args()...)
	if t.val != "" {
		args = append(args, "--val", t.val)
	}
	if !t.noDistill {
		args = append(args, "--distill", "--teacher", original)
	}
	var buf bytes.Buffer
	w := stdout
	if asJSON {
		args = append(args, "--json")
		w = &buf
	} else {
		fmt.Fprintf(stdout, "\nfine-tuning the pruned model (%s)\n", map[bool]string{true: "labels only", false: "distilled from " + original}[t.noDistill])
	}
	if err := runFinetune(args, w, stderr); err != nil {
		// Nothing the user had is lost: the pruned model goes back to -o.
		if _, statErr := os.Stat(out); os.IsNotExist(statErr) {
			os.Rename(tmp.Name(), out)
		}
		return nil, fmt.Errorf("fine-tuning the pruned model: %w (the pruned, untuned model is in %s)", err, out)
	}
	if asJSON {
		return json.RawMessage(bytes.TrimSpace(buf.Bytes())), nil
	}
	return nil, nil
}

// remeasure re-measures the fine-tuned file: fine-tuning changes weights,
// never the graph, and keeps removed taps at zero, so every figure must
// be what it was; a difference is a bug, said as such.
func remeasure(out string, r *pruneResult) error {
	m, err := onnx.ReadModelFile(out)
	if err != nil {
		return err
	}
	f, err := qcqp.Measure(m)
	if err != nil {
		return err
	}
	if r.Taps != nil {
		if f.MACs, err = qcqp.EffectiveMACs(m); err != nil {
			return err
		}
	}
	for _, rs := range qcqp.Resources {
		if got, want := f.Of(rs), r.Resources[string(rs)].After; got != want {
			return fmt.Errorf("the fine-tuned model's %s is %.6g, the pruned one's %.6g (a bug in pare; please report it)", rs, got, want)
		}
	}
	return nil
}
