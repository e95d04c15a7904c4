//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main outside a browser says where the live view runs: ebiten needs the
// page's canvas, so this program is built only for GOOS=js GOARCH=wasm.
func main() {
	fmt.Fprintln(os.Stderr, "liveview runs in a browser only: `make liveview` builds www/liveview.wasm, which the page loads in an iframe")
	os.Exit(2)
}
