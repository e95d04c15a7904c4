package graph_test

import "github.com/pare-ml/pare/core/graph"

// testEval is the evaluator the model tests fold constants with.
var testEval graph.ConstEval
