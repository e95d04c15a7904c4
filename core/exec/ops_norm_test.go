package exec

import "testing"

// The two training_mode cases must fail with an error naming training mode
// (runConformanceCase checks that); the others must match.
func TestBatchNormConformance(t *testing.T) {
	runConformanceDirs(t, nodeTestsFor(t, "BatchNormalization"))
}
