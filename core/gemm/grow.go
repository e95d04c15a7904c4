package gemm

// growFloat32 returns s resliced to n elements, reallocated when too small
// (the kernels' scratch).
func growFloat32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// growInt16 is growFloat32 for the integer kernels' codes.
func growInt16(s []int16, n int) []int16 {
	if cap(s) < n {
		return make([]int16, n)
	}
	return s[:n]
}
