// Package optim updates parameters from their gradients: SGD (momentum,
// Nesterov, weight decay), Adam (L2 or decoupled weight decay), learning
// rate schedules (constant, step, cosine, linear warm-up), and clipping by
// global gradient norm.
//
// Parameters are plain float32 slices (Var), shared with whatever computes
// the gradients, so this package depends on nothing else in Pare. Vars are
// arranged in Groups, each with its own learning-rate factor and weight
// decay: QIL trains its quantization intervals with a learning rate a
// hundred times smaller than the weights', and BatchNormalization and bias
// parameters usually get no decay.
//
//	opt := &optim.SGD{Momentum: 0.9, Nesterov: true, Groups: groups}
//	sched := optim.Warmup(optim.Cosine(0.1, totalSteps, 0), 100)
//	for step := 0; step < totalSteps; step++ {
//		... compute gradients ...
//		optim.ClipGradNorm(groups, 5)
//		opt.Step(sched.LR(step))
//	}
//
// Everything here is deterministic: the same gradients give bit-identical
// updates on every platform.
package optim
