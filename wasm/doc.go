// Command wasm is Pare's core compiled to WebAssembly for the browser app.
//
// It runs inside a Web Worker (www/worker.js), never on the page's UI
// thread. The worker forwards each request message to Go; Go answers with
// progress, result or error messages. One Go instance holds at most one
// model and one data set; the page starts several workers (each its own Go
// instance) to evaluate in parallel, giving each a slice of the images.
//
// Requests (type, JSON parameters, files):
//
//	openModel  {name}                      files: the .onnx and any external-data files
//	histogram  {node}                      weight histogram of a node's initializers
//	openData   {preprocess?}               files: a folder's files, a .zip, IDX or CIFAR-10 files
//	evaluate   {start, end, batch}         top-1 predictions for images start..end-1
//	finetune   {distill?, epochs?}         pare finetune's defaults on the open model and data;
//	                                       the result is train.FitResult, the tuned model the blob
//	prune      {resource, fraction|value}  pare prune's defaults (QCQP solver, L1 importance) on the
//	                                       open model; progress adds the incumbent's masks, the
//	                                       result is the report, the pruned model the blob
//	compress   {budgets, bits?, until?, resume?, ...}
//	                                       pare compress's pipeline, one stage per request;
//	                                       progress adds the sub-step (doing) and, for the live
//	                                       view, live: each trained batch's loss and accuracy,
//	                                       and at most every 0.5 s the solver's masks and the
//	                                       quantized layers' histograms and QIL intervals
//	thumbnails {indices}                   RGBA pixels of those images
//
// Long requests (evaluate, finetune, prune) send a progress message after each
// step: a core/job Progress as JSON ({stage, done, total, elapsedNs,
// figures, message}), which the worker forwards untouched. A cancel
// message cancels the request's context; the stepper stops at its next
// step and the request ends with the error code "cancelled".
//
// Only the files named *_js.go touch syscall/js; the rest is plain Go and is
// tested natively (go test ./wasm).
package main
