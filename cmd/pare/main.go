package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

// version and commit are stamped by the Makefile
// (-ldflags "-X main.version=... -X main.commit=..."); a plain go build
// takes the commit from the build's VCS information when it has one.
var (
	version = "dev"
	commit  = ""
)

// versionLine is what pare version and pare --version print:
// "pare VERSION (commit HASH)".
func versionLine() string {
	c := commit
	if c == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("pare %s (commit %s, %s, %s/%s)", version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// command is one subcommand of pare.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"info", "show a model's inputs, outputs and per-layer MACs, parameters and activation memory", runInfo},
		{"run", "run a model on inputs given as .pb or .npy files", runRun},
		{"eval", "measure top-1 accuracy on a labelled data set", runEval},
		{"bench", "time batch-1 inference", runBench},
		{"prune", "remove channels to meet MACs, parameter, memory or latency budgets (optimal channel selection)", runPrune},
		{"latency", "time a model's layers over channel counts and fit the latency model pare prune reads", runLatency},
		{"finetune", "continue training a model on labelled images", runFinetune},
		{"quantize", "quantize weights and activations to 2..8 bits (QIL, or min-max PTQ) and export QDQ ONNX", runQuantize},
		{"compress", "prune to a budget, fine-tune, quantize with QIL and evaluate, in one run", runCompress},
		{"train", "train a model's weights (from pare init or an exporter) on labelled images", runTrain},
		{"init", "re-initialise a model's weights for training from scratch", runInit},
		{"serve", "serve the Pare web app on this machine", runServe},
		{"version", "print the version and the commit it was built from", runVersion},
	}
}

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

// mainExit runs pare with args and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage error.
func mainExit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args[0] = "version"
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "pare %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "pare %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "pare: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "version", stderr)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("takes no arguments")
	}
	_, err = fmt.Fprintln(stdout, versionLine())
	return err
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Pare: inspect, run, evaluate and compress ONNX CNNs.")
	fmt.Fprintln(w, "\nUsage: pare COMMAND [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'pare COMMAND --help' for a command's flags. Documentation: docs/cli.md")
}

// usageError marks errors in the command line itself (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }
