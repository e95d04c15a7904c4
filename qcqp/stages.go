package qcqp

// The stages a Solver's Progress names, in the order they run. A stage
// with nothing to do is skipped (a net without hubs has no neighbourhood
// search; the count-level bound does not apply to negative importances),
// and a stage that ends within a Step is never reported at all.
const (
	// StageBound: the count-level Lagrangian bound over per-map count
	// tables (countbound.go) caps the root box. The first selection
	// (greedy, polished) exists already.
	StageBound = "bound"
	// StageIncumbent: the hub large-neighbourhood search improves the
	// selection (incumbent.go), before the tree starts.
	StageIncumbent = "incumbent"
	// StageSearch: the best-first branch-and-bound (search.go) improves
	// the selection and tightens the proven bound.
	StageSearch = "search"
)

// stageTexts are the Stages as the page and the CLI show them.
var stageTexts = map[string]string{
	StageBound:     "Proving a bound from per-layer channel counts",
	StageIncumbent: "Improving the first selection, one channel group at a time",
	StageSearch:    "Searching (branch and bound)",
}

// StageText is what a person is told the solver is doing in a stage; an
// unknown stage is named as it is, so a stage added without words here
// shows its name rather than another stage's words.
func StageText(stage string) string {
	if t, ok := stageTexts[stage]; ok {
		return t
	}
	return "Solver stage " + stage
}
