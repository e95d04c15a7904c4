// Package train computes exact reverse-mode gradients over ONNX graphs and
// trains their weights: the engine behind `pare finetune` and `pare train`,
// and the one pruning (fine-tuning) and QIL (interval training) build on. It
// is plain Go, so it runs in the browser's workers as it does natively.
//
// # Model
//
// NewNet indexes a model for training. Its parameters are the float
// initializers that feed a differentiable input of a supported operator
// (Conv, Gemm and MatMul operands, BatchNormalization scale and bias,
// PRelu slopes, Add/Sub/Mul/Div operands); BatchNormalization running
// means and variances are statistics, updated by training-mode forward
// passes, not by gradients. Any parameter can be frozen (Param.Frozen).
//
//	net, err := train.NewNet(model, train.NetOptions{})
//	pass, err := net.Forward(map[string]*tensor.Tensor{"input": x}, train.ModeTrain)
//	loss, dLogits, correct, err := train.SoftmaxCrossEntropy(pass.Logits(), labels)
//	err = net.Backward(pass, dLogits) // fills every Param.Grad
//	opt.Step()                        // package optim
//	err = net.WriteBack()             // weights and BN statistics into model
//
// The forward pass runs every node through exec.EvalNode (the same kernels
// as inference) except BatchNormalization in training mode (batch
// statistics) and Dropout (a seeded random mask), which this package
// computes itself. It keeps every value the backward pass needs;
// Net.ActivationBytes sizes that memory before a run.
//
// # The loss attaches to the logits
//
// The loss is a fused softmax cross-entropy on the logits: log-sum-exp
// minus the true class's logit, computed with the maximum subtracted, so it
// neither overflows nor loses the gradient when a class probability
// underflows. When the graph output is produced by Softmax or LogSoftmax
// over the class axis (directly, or through a shape-only op such as
// Flatten or Reshape), the loss attaches to that node's input instead:
// NetOptions.Logits can name another value.
//
// # Gradients
//
// Every supported operator has a backward rule in a grad_*.go file. The
// rules for data movement (Slice, Transpose, Pad, Concat, Split, Expand,
// Tile, Gather) run the forward kernel once on a tensor of element indices
// and scatter the output gradient back through the index map that comes
// out, so they agree with the forward kernels by construction. GEMM-shaped
// gradients (Conv through Im2Col/Col2Im, Gemm, MatMul) go through
// gemm.Sgemm. gradcheck_test.go checks every rule against central finite
// differences.
//
// RegisterOp adds an operator of a custom domain from outside the package
// (normally through core/custom, with its kernel, shape rule and cost): a
// forward for training mode and a backward, such as QIL's quantizers with
// straight-through gradients. It never replaces a rule; a built-in is
// replaced for one net through NetOptions.Ops.
// Param.Users point to the nodes (and input slots) that read a parameter,
// so a pass over the graph (pruning a channel, placing a quantizer) finds
// its parameters without parsing names.
//
// # Training loop
//
// Trainer is a job.Stepper: each Step trains one mini-batch and returns a
// job.Progress (stage "train", steps done of the run, figures loss,
// accuracy, lr), so the browser can yield, draw and cancel between steps,
// and the CLI can draw a progress bar; Last has the step's details.
// Loader makes the mini-batches (seeded shuffling, random crop with
// padding, horizontal flips) from a dataset.Set. The loop's seams, for
// the compression stages that train:
//
//   - Config.Loss replaces the cross-entropy with any LossFunc of the
//     logits; Distill is knowledge distillation from a teacher's logits
//     (the model before pruning or quantization), without a loop of its
//     own.
//   - Config.OnGradients runs between the backward pass and the update:
//     a regulariser's gradient, or the mask of pruned channels.
//   - NewOptimizer and NewSchedule build what Trainer uses, for loops of
//     one's own; Config.Group puts parameters in groups with their own
//     rate (QIL's intervals).
//
// # Fine-tuning without tuning
//
// Fit is a whole job as one stepper: `pare train`, `pare finetune`, the
// page's Fine-tune stage, and the fine-tuning after pruning drive it.
// Prepare makes a Plan from a model and images (the net, the loaders, a
// stratified validation split, the memory estimate, the distillation
// teacher), and Plan.Options the FitOptions. With LR 0 an LRProbe (a
// learning-rate range test on a few batches) chooses the rate; a guard
// rolls a diverging run back to the best weights and retries at a tenth
// of the rate; and Fit ends with the best validated weights, which are the
// model's own unless training beat them (FitOptions.AllowWorse keeps the
// last). FinetuneDefaults are the settings that need no tuning;
// docs/training.md gives the rules and their measurements.
//
//	plan, err := train.Prepare(train.Setup{Model: m, Train: set, ValFraction: train.DefaultValFraction, Batch: 64})
//	fit, err := train.NewFit(plan.Net, plan.Options(train.FinetuneDefaults()))
//	err = job.Run(ctx, fit, show)   // the weights kept are written back into m
//	res := fit.Result()             // rate chosen, validation before and best, what was kept
package train
