// Package job gives long work in Pare one shape, so that the CLI, the
// browser's workers and tests drive training, evaluation, the channel
// solver and the quantizer the same way.
//
// A Stepper does a bounded slice of work per call and returns what it has
// done so far; the caller owns the loop (reverse communication, as in
// gonum's optimize), so it can draw progress, yield to a browser's event
// loop, or stop on Cancel between steps without threads:
//
//	for !s.Done() {
//		p, err := s.Step(ctx)
//		if err != nil {
//			return err
//		}
//		show(p)
//	}
//
// A Stepper's current result is valid after every Step, so a cancelled
// run still has something to show (the solver's incumbent, the best
// weights so far).
package job
