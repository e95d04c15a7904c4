//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"syscall/js"
	"time"
)

// bridge turns worker messages into Service calls. Requests run one at a
// time, in arrival order, on a goroutine of their own, so that the JS
// callback returns at once and the worker can take a cancel message while
// Go computes (Go yields to the worker's event loop between steps).
// Each request has a context; Cancel cancels it, and the request's
// stepper stops at its next step.
type bridge struct {
	svc   *Service
	queue chan request

	mu      sync.Mutex
	pending map[int]context.CancelFunc // queued or running requests
}

type request struct {
	id     int
	kind   string
	params []byte
	files  []File
	ctx    context.Context
}

func newBridge(svc *Service) *bridge {
	b := &bridge{svc: svc, queue: make(chan request, 64), pending: map[int]context.CancelFunc{}}
	go b.serve()
	return b
}

// handle(id, type, paramsJSON, files) queues a request; files is an array
// of {path, bytes: Uint8Array}.
func (b *bridge) handle(this js.Value, args []js.Value) any {
	if len(args) < 4 {
		return nil
	}
	req := request{id: args[0].Int(), kind: args[1].String(), params: []byte(args[2].String())}
	files := args[3]
	for i := 0; i < files.Length(); i++ {
		f := files.Index(i)
		bytes := f.Get("bytes")
		data := make([]byte, bytes.Get("byteLength").Int())
		js.CopyBytesToGo(data, bytes)
		req.files = append(req.files, File{Path: f.Get("path").String(), Bytes: data})
	}
	ctx, cancel := context.WithCancel(context.Background())
	req.ctx = ctx
	b.mu.Lock()
	b.pending[req.id] = cancel
	b.mu.Unlock()
	b.queue <- req
	return nil
}

// cancel(id) cancels a queued or running request's context. Cancels of
// requests that already finished are ignored.
func (b *bridge) cancel(this js.Value, args []js.Value) any {
	if len(args) > 0 {
		b.mu.Lock()
		if stop := b.pending[args[0].Int()]; stop != nil {
			stop()
		}
		b.mu.Unlock()
	}
	return nil
}

func (b *bridge) serve() {
	for req := range b.queue {
		b.run(req)
	}
}

func (b *bridge) run(req request) {
	defer func() {
		if r := recover(); r != nil {
			reply(req.id, "error", &UserError{Code: "internal", Message: fmt.Sprintf("internal error while handling %s: %v (please report this with the model)", req.kind, r)}, nil)
		}
		b.mu.Lock()
		if stop := b.pending[req.id]; stop != nil {
			stop()
		}
		delete(b.pending, req.id)
		b.mu.Unlock()
	}()
	if req.ctx.Err() != nil {
		reply(req.id, "error", errCancelled, nil)
		return
	}
	var lastYield time.Time
	progress := func(p any) {
		reply(req.id, "progress", p, nil)
		// Sleeping hands control back to the worker's event loop, which is
		// how a cancel message gets in while Go is busy (it cancels
		// req.ctx, and the stepper stops at its next step). A sleep
		// becomes a nested setTimeout that browsers hold for at least
		// 4 ms, so yield only every yieldInterval: often enough for
		// Cancel to feel immediate, rarely enough not to cost throughput
		// on small batches.
		if time.Since(lastYield) < yieldInterval {
			return
		}
		time.Sleep(time.Millisecond)
		lastYield = time.Now()
	}
	res, err := b.svc.Handle(req.ctx, req.kind, req.params, req.files, progress)
	if err != nil {
		if req.ctx.Err() != nil {
			err = errCancelled
		}
		reply(req.id, "error", AsUserError(err), nil)
		// A request stopped part-way (cancelled, or failed: a training
		// partner that ran out of memory cancels the others) leaves its
		// whole working set as garbage, and the GC's goal at twice the
		// heap it last saw live. Without a collection now the next
		// request's allocations would grow the wasm memory, which never
		// shrinks, instead of reusing those pages, and a worker whose
		// memory the browser caps would run out where a fresh one does
		// not (tests/browser/worker-oom.test.mjs with two workers).
		runtime.GC()
		return
	}
	reply(req.id, "result", res.Value, res.Blob)
}

// yieldInterval is how long a request computes between two returns to the
// worker's event loop.
const yieldInterval = 50 * time.Millisecond

// reply sends one message back through the worker (globalThis.pareReply).
func reply(id int, kind string, value any, blob []byte) {
	text, err := json.Marshal(value)
	if err != nil {
		kind = "error"
		text, _ = json.Marshal(&UserError{Code: "internal", Message: "cannot encode the reply: " + err.Error()})
	}
	var jsBlob any
	if blob != nil {
		arr := js.Global().Get("Uint8Array").New(len(blob))
		js.CopyBytesToJS(arr, blob)
		jsBlob = arr
	}
	js.Global().Call("pareReply", id, kind, string(text), jsBlob)
}
