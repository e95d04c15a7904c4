package main

import (
	"fmt"
	"io"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/train"
)

// runInit re-initialises a model's trainable weights for training from
// scratch (He-normal weights, zero biases, identity BatchNorm), leaving
// everything else in the file as it was.
func runInit(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("init", "init MODEL -o OUT [--seed S]", stderr)
	out := fs.String("o", "", "write the re-initialised model here (required)")
	seed := fs.Int64("seed", 1, "seed of the random weights")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one model file")
	}
	if *out == "" {
		return usagef("-o OUT is required")
	}
	if err := checkOutputFile("-o", *out); err != nil {
		return err
	}
	m, err := readModel(pos[0], stderr)
	if err != nil {
		return err
	}
	if err := exec.Validate(m); err != nil {
		return err
	}
	net, err := train.NewNet(m, train.NetOptions{})
	if err != nil {
		return err
	}
	net.Reinitialize(*seed)
	if err := net.WriteBack(); err != nil {
		return err
	}
	if err := writeModel(m, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d parameters in %d tensors re-initialised (seed %d)\n", *out, net.NumParams(), len(net.Params), *seed)
	return nil
}
