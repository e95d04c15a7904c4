package graph_test

import (
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
)

// testEval is the executor's node evaluator, the ConstEval real callers
// pass. The external test package may import exec although exec imports
// graph.
var testEval graph.ConstEval = exec.EvalNode
