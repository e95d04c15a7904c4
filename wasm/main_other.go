//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main exists so the package builds (and its tests run) natively; the real
// entry point is main_js.go.
func main() {
	fmt.Fprintln(os.Stderr, "this is the browser build of Pare: GOOS=js GOARCH=wasm go build -o www/pare.wasm ./wasm")
	os.Exit(2)
}
