package exec

import "testing"

func TestGemmMatMulConformance(t *testing.T) {
	runConformanceDirs(t, nodeTestsFor(t, "Gemm", "MatMul"))
}
