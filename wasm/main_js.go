//go:build js && wasm

package main

import "syscall/js"

// main registers the request handler with the worker (www/worker.js), tells
// it Go is ready, and then waits for requests forever: the worker calls
// pare.handle for each message.
func main() {
	b := newBridge(&Service{clock: ortClock()})
	pare := js.Global().Get("Object").New()
	pare.Set("handle", js.FuncOf(b.handle))
	pare.Set("cancel", js.FuncOf(b.cancel))
	js.Global().Set("pare", pare)
	js.Global().Call("pareReady")
	select {}
}
