package optim

import "math"

// Schedule gives the base learning rate of each step (counted from 0).
type Schedule interface {
	LR(step int) float64
}

// ScheduleFunc adapts a function to Schedule.
type ScheduleFunc func(step int) float64

// LR calls f.
func (f ScheduleFunc) LR(step int) float64 { return f(step) }

// Constant keeps lr.
func Constant(lr float64) Schedule {
	return ScheduleFunc(func(int) float64 { return lr })
}

// StepDecay multiplies lr by gamma every `every` steps.
func StepDecay(lr float64, every int, gamma float64) Schedule {
	return ScheduleFunc(func(step int) float64 {
		if every <= 0 {
			return lr
		}
		return lr * math.Pow(gamma, float64(step/every))
	})
}

// Cosine anneals from lr to minLR over total steps along half a cosine,
// and stays at minLR afterwards.
func Cosine(lr float64, total int, minLR float64) Schedule {
	return ScheduleFunc(func(step int) float64 {
		if total <= 0 || step >= total {
			return minLR
		}
		return minLR + (lr-minLR)*0.5*(1+math.Cos(math.Pi*float64(step)/float64(total)))
	})
}

// Warmup ramps linearly from near 0 to s's rate over the first steps,
// then follows s (whose step count is not shifted).
func Warmup(s Schedule, steps int) Schedule {
	return ScheduleFunc(func(step int) float64 {
		lr := s.LR(step)
		if step < steps {
			return lr * float64(step+1) / float64(steps+1)
		}
		return lr
	})
}
