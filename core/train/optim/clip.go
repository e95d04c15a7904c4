package optim

import "math"

// GradNorm is the Euclidean norm of all gradients of the groups together.
func GradNorm(groups []*Group) float64 {
	var sum float64
	for _, g := range groups {
		for _, v := range g.Vars {
			for _, x := range v.Grad {
				sum += float64(x) * float64(x)
			}
		}
	}
	return math.Sqrt(sum)
}

// ClipGradNorm scales all gradients down together so that their global
// norm is at most maxNorm (nothing changes when it already is, or when
// maxNorm <= 0). It returns the norm before clipping, worth logging: a
// norm that keeps hitting the limit means the learning rate is too high.
func ClipGradNorm(groups []*Group, maxNorm float64) float64 {
	norm := GradNorm(groups)
	if maxNorm <= 0 || norm <= maxNorm || math.IsNaN(norm) {
		return norm
	}
	scale := float32(maxNorm / norm)
	for _, g := range groups {
		for _, v := range g.Vars {
			for i := range v.Grad {
				v.Grad[i] *= scale
			}
		}
	}
	return norm
}
