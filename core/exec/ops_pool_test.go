package exec

import "testing"

func TestPoolConformance(t *testing.T) {
	runConformanceDirs(t, nodeTestsFor(t, "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"))
}
