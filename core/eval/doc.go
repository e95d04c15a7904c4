// Package eval measures an image classifier on labelled images: top-1
// accuracy, the confusion matrix, per-image predictions and the mean
// cross-entropy. It is the one evaluation behind `pare eval`, the page's
// Evaluate tab (wasm/) and the validation passes of training (core/train).
//
// An Evaluator is a job.Stepper: each Step runs one batch, so the CLI can
// draw a progress bar and the browser's worker can yield and cancel
// between batches. The classifier is any Forward (a function from a batch
// to its logits): SessionForward adapts an exec.Session, and core/train
// passes its Net in evaluation mode. The batches come from a Source, which
// core/train's Loader is.
//
//	ev, err := eval.New(loader, eval.SessionForward(sess, "input"), eval.Options{})
//	err = job.Run(ctx, ev, func(p job.Progress) { bar.Update(p) })
//	res := ev.Result() // valid after every Step: the images seen so far
package eval
