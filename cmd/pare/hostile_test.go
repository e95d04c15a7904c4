package main

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pare-ml/pare/internal/hostile"
)

// maxCaseAlloc caps what one hostile case may allocate in total: every
// input is refused from its header or sizes, so none needs more than a
// few MiB. A check that reads or allocates before validating blows it.
const maxCaseAlloc = 64 << 20

// TestHostileInputs runs every case of internal/hostile through mainExit:
// each must end with a clear error (exit 1 or 2, text naming the problem)
// or, where a case allows it, succeed without touching files it must not;
// never panic, and stay within maxCaseAlloc. tools/hostile runs the same
// cases out of process under a memory limit (docs/security.md).
func TestHostileInputs(t *testing.T) {
	cases, err := hostile.Write(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	start := time.Now()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var out bytes.Buffer
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			status := runCase(c.Args, &out)
			runtime.ReadMemStats(&after)
			outcome, why := c.Judge(status, out.String())
			if outcome != hostile.ClearErr && outcome != hostile.OK {
				t.Errorf("%s: %s\n%s", outcome, why, tail(out.String()))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxCaseAlloc {
				t.Errorf("allocated %d MiB, more than the %d MiB a refused input may cost", alloc>>20, maxCaseAlloc>>20)
			}
		})
	}
	t.Logf("%d hostile cases in %v", len(cases), time.Since(start).Round(time.Millisecond))
}

// runCase runs pare in process, turning a panic into output the judge
// classifies as one.
func runCase(args []string, out *bytes.Buffer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(out, "panic: %v\n", r)
			status = 3
		}
	}()
	return mainExit(args, out, out)
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}
