// Package qcqp selects the channels to keep in a CNN by solving the
// discrete QCQP of Jeong et al. (AISTATS 2022): one binary mask per feature
// map, an objective that counts only weights whose input and output
// channels are both kept, and resource constraints (MACs, parameters,
// memory, latency) that are quadratic polynomials in the maps' channel
// counts.
//
// Problem is the solver's view, free of ONNX: maps with channel counts,
// layers with importance matrices between maps, and constraints over
// counts. The solvers (Solve) work on it alone.
//
// The ONNX side, from a model to a smaller model:
//
//	a, err := qcqp.Analyze(model)                  // channel groups (groups.go)
//	layers, err := a.Layers(qcqp.NormL1)           // importance (importance.go, importance_taylor.go)
//	p, err := a.Problem(layers, []qcqp.Budget{{Resource: qcqp.MACs, Fraction: 0.5}}) // resources.go
//	res, err := qcqp.Solve(ctx, p, qcqp.Options{TimeLimit: 10 * time.Second})
//	pruned, err := a.Prune(res.Selection, qcqp.PruneOptions{}) // surgery.go, fold.go
//
// The constraints are exact: Analysis.Predict of a selection's counts
// equals Measure (core/cost) of the pruned model. docs/pruning.md describes
// the grouping rules and what is frozen.
package qcqp
