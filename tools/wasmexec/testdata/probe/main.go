// Command probe is the Go program tools/wasmexec/runner.test.mjs runs under
// go_js_wasm_exec: it links core/gemm (so it needs the pare_gemm import),
// multiplies two small matrices, and echoes what the runner passed in.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/pare-ml/pare/core/gemm"
)

func main() {
	// [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]
	c := make([]float32, 4)
	gemm.Sgemm(false, false, 2, 2, 2, 1, []float32{1, 2, 3, 4}, 2, []float32{5, 6, 7, 8}, 2, 0, c, 2)
	fmt.Printf("product %v\n", c)
	fmt.Printf("args %q\n", os.Args[1:])
	fmt.Printf("env PROBE_VALUE=%q\n", os.Getenv("PROBE_VALUE"))
	fmt.Fprintln(os.Stderr, "to stderr")
	if len(os.Args) > 1 {
		if code, err := strconv.Atoi(os.Args[1]); err == nil {
			os.Exit(code)
		}
	}
}
