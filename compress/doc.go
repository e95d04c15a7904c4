// Package compress is Pare's whole compression pipeline as one job:
// prune channels to a budget on MACs, parameters or memory (qcqp: the
// exact channel selection, bounded by a time limit), fine-tune the pruned
// net (core/train, distilling from the original model by default, keeping
// the best validated weights), quantize it with QIL (qil: learned
// intervals, progressively down to the target bits) and export QDQ ONNX,
// then evaluate the exported bytes in Pare's executor and re-measure their
// resources against the budget. Without a budget the run quantizes only:
// the prune and fine-tune stages are skipped (they end at once, passing
// the original model on; Report.Skipped lists them) and QIL, with its own
// defaults, quantizes the model itself, as `pare quantize` does.
//
// Pipeline is a core/job Stepper, so `pare compress` and the page's
// worker drive it the same way; its Progress names the stage ("prune",
// "finetune", "quantize", "evaluate") and carries the stage's figures.
// Each stage's model is kept (Pipeline.Model) and a pipeline can resume
// after any stage from that model (Config.Resume). Report holds every
// figure of a run and marshals to the JSON of `pare compress --json`.
package compress
