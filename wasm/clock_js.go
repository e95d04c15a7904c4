//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// ortClock times models in onnxruntime-web, in this worker: worker.js's
// pareTimeModel(bytes, feeds) loads onnxruntime-web from the site (once,
// when first asked), warms the session up until its times settle and
// resolves with the median seconds of one run. The calling goroutine
// waits on the Promise while the worker's event loop runs it.
func ortClock() Clock {
	return Clock{Runtime: "onnxruntime-web (wasm, 1 thread, this browser)", Time: timeInOrt}
}

func timeInOrt(m *onnx.Model) (float64, error) {
	raw, err := onnx.Encode(m)
	if err != nil {
		return 0, err
	}
	feeds, err := qcqp.RandomFeeds(m)
	if err != nil {
		return 0, err
	}
	bytes := js.Global().Get("Uint8Array").New(len(raw))
	js.CopyBytesToJS(bytes, raw)
	list := js.Global().Get("Array").New()
	for name, t := range feeds {
		data := js.Global().Get("Float32Array").New(len(t.F32))
		// Float32Array has no bulk copy from Go: go through its bytes.
		buf := make([]byte, 4*len(t.F32))
		for i, v := range t.F32 {
			putFloat32(buf[4*i:], v)
		}
		js.CopyBytesToJS(js.Global().Get("Uint8Array").New(data.Get("buffer")), buf)
		shape := js.Global().Get("Array").New()
		for _, d := range t.Shape {
			shape.Call("push", d)
		}
		feed := js.Global().Get("Object").New()
		feed.Set("name", name)
		feed.Set("shape", shape)
		feed.Set("data", data)
		list.Call("push", feed)
	}
	type result struct {
		seconds float64
		err     error
	}
	done := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{seconds: args[0].Float()}
		return nil
	})
	fail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "onnxruntime-web failed"
		if len(args) > 0 && args[0].Type() == js.TypeObject && args[0].Get("message").Type() == js.TypeString {
			msg = args[0].Get("message").String()
		}
		done <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer fail.Release()
	js.Global().Call("pareTimeModel", bytes, list).Call("then", then, fail)
	r := <-done
	return r.seconds, r.err
}
