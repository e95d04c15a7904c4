//go:build js && wasm

package main

import (
	"context"
	"fmt"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/pare-ml/pare/core/train"
)

// The exchange of a data-parallel fine-tune goes through the page's main
// thread (www/js/parallel.js). For each AllReduce this worker posts
//
//	{kind: 'exchange', run, n64, buffer}
//
// buffer an ArrayBuffer holding n64 float64 values, then the float32
// gradients, transferred (not copied) to the page; the page sums the
// workers' buffers in rank order and posts each worker
//
//	{type: 'exchange', run, buffer}
//
// with the sums (www/worker.js hands it to globalThis.pareExchange). The
// request's goroutine waits on a channel meanwhile, so the worker's event
// loop runs and takes the reply, or a cancel.

func init() {
	shardReducer = newJSReducer
	js.Global().Set("pareExchange", js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) == 0 || args[0].Get("run").Type() != js.TypeNumber {
			return nil
		}
		exchanges.mu.Lock()
		r := exchanges.runs[args[0].Get("run").Int()]
		exchanges.mu.Unlock()
		if r != nil {
			select {
			case r.replies <- args[0].Get("buffer"):
			default: // a reply nobody waits for (the run was cancelled)
			}
		}
		return nil
	}))
}

var exchanges = struct {
	mu   sync.Mutex
	runs map[int]*jsReducer
}{runs: map[int]*jsReducer{}}

type jsReducer struct {
	run     int
	replies chan js.Value
	buffer  js.Value // the ArrayBuffer the last reply brought back, reused
}

func newJSReducer(run int) (train.Reducer, func()) {
	r := &jsReducer{run: run, replies: make(chan js.Value, 1)}
	exchanges.mu.Lock()
	exchanges.runs[run] = r
	exchanges.mu.Unlock()
	return r, func() {
		exchanges.mu.Lock()
		delete(exchanges.runs, run)
		exchanges.mu.Unlock()
	}
}

func (r *jsReducer) AllReduce(ctx context.Context, f32 []float32, f64 []float64) error {
	size := 8*len(f64) + 4*len(f32)
	if r.buffer.IsUndefined() || r.buffer.Get("byteLength").Int() != size {
		r.buffer = js.Global().Get("ArrayBuffer").New(size)
	}
	bytes := js.Global().Get("Uint8Array").New(r.buffer)
	js.CopyBytesToJS(bytes.Call("subarray", 0, 8*len(f64)), f64Bytes(f64))
	js.CopyBytesToJS(bytes.Call("subarray", 8*len(f64)), f32Bytes(f32))
	msg := js.Global().Get("Object").New()
	msg.Set("kind", "exchange")
	msg.Set("run", r.run)
	msg.Set("n64", len(f64))
	msg.Set("buffer", r.buffer)
	js.Global().Call("postMessage", msg, []any{r.buffer})
	r.buffer = js.Undefined()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case buf := <-r.replies:
		if buf.Type() != js.TypeObject || buf.Get("byteLength").Int() != size {
			return fmt.Errorf("the page sent an exchange of the wrong size (want %d bytes)", size)
		}
		r.buffer = buf
		bytes := js.Global().Get("Uint8Array").New(buf)
		js.CopyBytesToGo(f64Bytes(f64), bytes.Call("subarray", 0, 8*len(f64)))
		js.CopyBytesToGo(f32Bytes(f32), bytes.Call("subarray", 8*len(f64)))
		return nil
	}
}

func f32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

func f64Bytes(v []float64) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v))
}
