// Command hostile runs the hostile-input cases of internal/hostile against
// a pare binary, each in its own process under an address-space limit and
// a timeout, and counts how the runs ended: panics, out-of-memory crashes,
// hangs, exits 0 with a wrong or unsafe result, and clear errors.
//
//	go run ./tools/hostile -pare bin/pare [-heavy] [-mem 4294967296] [-v]
//
// scripts/hostile.sh builds the binary and runs this; docs/security.md
// quotes its counts.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pare-ml/pare/internal/hostile"
)

func main() {
	pare := flag.String("pare", "bin/pare", "the pare binary to attack")
	heavy := flag.Bool("heavy", false, "also make inputs that take seconds to generate (a real 16384x16384 PNG)")
	mem := flag.Int64("mem", 4<<30, "address-space limit of each run in bytes (prlimit --as)")
	timeout := flag.Duration("timeout", 60*time.Second, "time limit of each run")
	verbose := flag.Bool("v", false, "print every case, not only the failures")
	only := flag.String("run", "", "run only cases whose name contains this")
	keep := flag.String("keep", "", "write the inputs into this empty folder and keep them (default: a temporary folder)")
	write := flag.String("write", "", "only write the inputs into this empty folder and print the cases as JSON (for the browser test)")
	flag.Parse()
	if *write != "" {
		if err := writeOnly(*write); err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*pare, *heavy, *mem, *timeout, *verbose, *only, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func run(pare string, heavy bool, mem int64, timeout time.Duration, verbose bool, only, keep string) error {
	bin, err := filepath.Abs(pare)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%v (build it with make bin/pare)", err)
	}
	limit, err := exec.LookPath("prlimit")
	if err != nil {
		return fmt.Errorf("prlimit (util-linux) is needed to cap each run's memory: %v", err)
	}
	dir := keep
	if dir == "" {
		dir, err = os.MkdirTemp("", "pare-hostile-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	cases, err := hostile.Write(dir, heavy)
	if err != nil {
		return err
	}
	counts := map[hostile.Outcome]int{}
	inputs := map[string]bool{}
	total := 0
	for _, c := range cases {
		if only != "" && !strings.Contains(c.Name, only) {
			continue
		}
		total++
		inputs[inputOf(c.Name)] = true
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		cmd := exec.CommandContext(ctx, limit, append([]string{fmt.Sprintf("--as=%d", mem), "--", bin}, c.Args...)...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		elapsed := time.Since(start)
		timedOut := ctx.Err() == context.DeadlineExceeded
		cancel()
		status := 0
		var exitErr *exec.ExitError
		switch {
		case errors.As(err, &exitErr):
			status = exitErr.ExitCode()
		case err != nil:
			return fmt.Errorf("%s: %v", c.Name, err)
		}
		outcome, why := c.Judge(status, out.String())
		if timedOut {
			outcome, why = hostile.Hang, fmt.Sprintf("still running after %v", timeout)
		} else if status == -1 || status > 128 {
			// Killed by a signal: under the address-space limit, that is
			// the runtime failing to get memory.
			if outcome != hostile.Panic {
				outcome, why = hostile.OOM, fmt.Sprintf("killed (%s): %s", exitErr.ProcessState, firstLine(out.String()))
			}
		}
		counts[outcome]++
		if verbose || (outcome != hostile.ClearErr && outcome != hostile.OK) {
			fmt.Printf("%-22s %-48s %6.2fs %s\n", outcome, c.Name, elapsed.Seconds(), why)
		}
	}
	fmt.Printf("\n%d runs over %d inputs, each under %d MiB of address space and %v:\n", total, len(inputs), mem>>20, timeout)
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("  %4d  %s\n", counts[hostile.Outcome(k)], k)
	}
	return nil
}

// writeOnly writes the inputs into dir and prints the cases (name, args,
// wanted text, whether success is allowed) as JSON on stdout.
func writeOnly(dir string) error {
	cases, err := hostile.Write(dir, false)
	if err != nil {
		return err
	}
	type jsonCase struct {
		Name       string   `json:"name"`
		Args       []string `json:"args"`
		Want       []string `json:"want,omitempty"`
		Warn       []string `json:"warn,omitempty"`
		MaySucceed bool     `json:"maySucceed,omitempty"`
	}
	out := make([]jsonCase, len(cases))
	for i, c := range cases {
		out[i] = jsonCase{c.Name, c.Args, c.Want, c.Warn, c.MaySucceed}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

// inputOf strips the command from a case name ("model/x/info" -> "model/x").
func inputOf(name string) string {
	if strings.HasPrefix(name, "model/") {
		return name[:strings.LastIndexByte(name, '/')]
	}
	return name
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
