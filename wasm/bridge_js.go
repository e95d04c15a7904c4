//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"syscall/js"
	"time"
)

// bridge turns worker messages into Service calls. Requests run one at a
// time, in arrival order, on a goroutine of their own, so that the JS
// callback returns at once and the worker can take a cancel message while
// Go computes (Go yields to the worker's event loop between batches).
type bridge struct {
	svc   *Service
	queue chan request

	mu        sync.Mutex
	pending   map[int]bool // queued or running requests
	cancelled map[int]bool // the pending ones asked to stop
}

type request struct {
	id     int
	kind   string
	params []byte
	files  []File
}

func newBridge(svc *Service) *bridge {
	b := &bridge{svc: svc, queue: make(chan request, 64), pending: map[int]bool{}, cancelled: map[int]bool{}}
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
	b.mu.Lock()
	b.pending[req.id] = true
	b.mu.Unlock()
	b.queue <- req
	return nil
}

// cancel(id) asks a queued or running request to stop at its next batch.
// Cancels of requests that already finished are ignored, so nothing is
// remembered for them.
func (b *bridge) cancel(this js.Value, args []js.Value) any {
	if len(args) > 0 {
		id := args[0].Int()
		b.mu.Lock()
		if b.pending[id] {
			b.cancelled[id] = true
		}
		b.mu.Unlock()
	}
	return nil
}

func (b *bridge) isCancelled(id int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cancelled[id]
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
		delete(b.pending, req.id)
		delete(b.cancelled, req.id)
		b.mu.Unlock()
	}()
	if b.isCancelled(req.id) {
		reply(req.id, "error", errCancelled, nil)
		return
	}
	var lastYield time.Time
	progress := func(done, total int) {
		reply(req.id, "progress", map[string]int{"done": done, "total": total}, nil)
		// Sleeping hands control back to the worker's event loop, which is
		// how a cancel message gets in while Go is busy. A sleep becomes a
		// nested setTimeout that browsers hold for at least 4 ms, so yield
		// only every yieldInterval: often enough for Cancel to feel
		// immediate, rarely enough not to cost throughput on small batches.
		if done < total && time.Since(lastYield) < yieldInterval {
			return
		}
		time.Sleep(time.Millisecond)
		lastYield = time.Now()
		if b.isCancelled(req.id) {
			panic(errCancelled)
		}
	}
	res, err := b.handleCancellable(req, progress)
	if err != nil {
		reply(req.id, "error", AsUserError(err), nil)
		return
	}
	reply(req.id, "result", res.Value, res.Blob)
}

// yieldInterval is how long a request computes between two returns to the
// worker's event loop.
const yieldInterval = 50 * time.Millisecond

// errCancelled unwinds a cancelled request from inside its progress
// callback; handleCancellable turns it back into an error.
var errCancelled = &UserError{Code: "cancelled", Message: "Cancelled."}

func (b *bridge) handleCancellable(req request, progress Progress) (res Reply, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == errCancelled {
				err = errCancelled
				return
			}
			panic(r)
		}
	}()
	return b.svc.Handle(req.kind, req.params, req.files, progress)
}

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
