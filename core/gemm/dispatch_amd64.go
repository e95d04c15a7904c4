//go:build amd64 && !purego

package gemm

import (
	"os"

	"golang.org/x/sys/cpu"
)

// pureGoKernelRequested reports whether PARE_GEMM=go asks for the pure-Go
// kernel (for comparison benchmarks). It is read once, at init.
var pureGoKernelRequested = os.Getenv("PARE_GEMM") == "go"

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA (x/sys/cpu
// checks that the OS saves the ymm registers too).
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func init() {
	if hasAVX2FMA && !pureGoKernelRequested {
		sgemm = sgemmAVX2
		sgemmPanels = sgemmPanelsAVX2
		depthBlock = avxKC
		qgemm = qgemmAVX2
		sgemmShifted, shiftedTile = sgemmShiftedAVX2, shiftedHalf
		sgemmShiftedA = sgemmShiftedAAVX2
	}
}
