// Command liveview is Pare's live view: an ebiten program, built for
// GOOS=js GOARCH=wasm into www/liveview.wasm and loaded lazily in an
// iframe (www/liveview.html), that draws what compression is doing —
// per-layer channel masks as the solver works, weight histograms with the
// quantization grid, the QIL transfer curves moving while the intervals
// train, loss and accuracy curves.
//
// The page feeds it JSON messages through postMessage (package scene
// documents them) and gets back, after each change, a text description
// for screen readers. It is a separate binary because ebiten takes over
// the page's canvas and cannot start under node; the core wasm stays
// small, and this one is fetched only when someone opens the view.
package main
